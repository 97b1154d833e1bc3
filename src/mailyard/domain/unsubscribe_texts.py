"""What recipients read about unsubscribing, in the twelve languages of Tencent's `Unsubscribe` option: the footer
a message gets and the confirmation page its link opens. One catalogue for both, so they always agree."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UnsubscribeTexts:
    lang: str  #: BCP 47 tag, for `lang` attributes
    footer: str  #: the sentence before the link
    link: str  #: the link's words
    title: str
    question: str  #: `{address}` is the recipient's address
    button: str
    done: str  #: `{address}` as above
    invalid: str
    rtl: bool = False


#: By Tencent's option: "1" Simplified Chinese, "2" English, ... "12" Vietnamese ("0" is no link at all).
TEXTS = {
    "1": UnsubscribeTexts(
        "zh-CN",
        "不想再收到此类邮件？",
        "退订",
        "退订",
        "不再向 {address} 发送邮件？",
        "退订",
        "已退订：{address} 将不再收到这些邮件。",
        "此退订链接无效，请使用邮件中的链接。",
    ),
    "2": UnsubscribeTexts(
        "en",
        "Don't want these emails any more?",
        "Unsubscribe",
        "Unsubscribe",
        "Stop sending email to {address}?",
        "Unsubscribe",
        "Unsubscribed: {address} will get no more of these emails.",
        "This unsubscribe link is not valid. Please use the link from your email.",
    ),
    "3": UnsubscribeTexts(
        "zh-TW",
        "不想再收到此類郵件？",
        "取消訂閱",
        "取消訂閱",
        "不再寄送郵件給 {address}？",
        "取消訂閱",
        "已取消訂閱：{address} 將不會再收到這些郵件。",
        "此取消訂閱連結無效，請使用郵件中的連結。",
    ),
    "4": UnsubscribeTexts(
        "es",
        "¿No quiere recibir más estos correos?",
        "Darse de baja",
        "Darse de baja",
        "¿Dejar de enviar correos a {address}?",
        "Darse de baja",
        "Baja confirmada: {address} no recibirá más estos correos.",
        "Este enlace para darse de baja no es válido. Use el enlace de su correo.",
    ),
    "5": UnsubscribeTexts(
        "fr",
        "Vous ne souhaitez plus recevoir ces e-mails ?",
        "Se désabonner",
        "Se désabonner",
        "Ne plus envoyer d'e-mails à {address} ?",
        "Se désabonner",
        "Désabonnement confirmé : {address} ne recevra plus ces e-mails.",
        "Ce lien de désabonnement n'est pas valide. Utilisez le lien de votre e-mail.",
    ),
    "6": UnsubscribeTexts(
        "de",
        "Sie möchten diese E-Mails nicht mehr erhalten?",
        "Abmelden",
        "Abmelden",
        "Keine E-Mails mehr an {address} senden?",
        "Abmelden",
        "Abgemeldet: {address} erhält diese E-Mails nicht mehr.",
        "Dieser Abmeldelink ist ungültig. Bitte verwenden Sie den Link aus Ihrer E-Mail.",
    ),
    "7": UnsubscribeTexts(
        "ja",
        "今後このようなメールが不要な場合：",
        "配信停止",
        "配信停止",
        "{address} へのメール配信を停止しますか？",
        "配信停止",
        "配信を停止しました：{address} にこれらのメールは届かなくなります。",
        "この配信停止リンクは無効です。メールに記載のリンクをご利用ください。",
    ),
    "8": UnsubscribeTexts(
        "ko",
        "이 메일을 더 이상 받고 싶지 않으신가요?",
        "수신 거부",
        "수신 거부",
        "{address}(으)로 메일을 그만 보낼까요?",
        "수신 거부",
        "수신 거부됨: {address}(으)로 이 메일이 더 이상 발송되지 않습니다.",
        "유효하지 않은 수신 거부 링크입니다. 메일에 있는 링크를 이용해 주세요.",
    ),
    "9": UnsubscribeTexts(
        "ar",
        "لا تريد تلقي هذه الرسائل بعد الآن؟",
        "إلغاء الاشتراك",
        "إلغاء الاشتراك",
        "إيقاف إرسال الرسائل إلى {address}؟",
        "إلغاء الاشتراك",
        "تم إلغاء الاشتراك: لن يتلقى {address} هذه الرسائل بعد الآن.",
        "رابط إلغاء الاشتراك هذا غير صالح. يرجى استخدام الرابط الموجود في رسالتك.",
        rtl=True,
    ),
    "10": UnsubscribeTexts(
        "th",
        "ไม่ต้องการรับอีเมลเหล่านี้อีกใช่ไหม",
        "ยกเลิกการรับอีเมล",
        "ยกเลิกการรับอีเมล",
        "หยุดส่งอีเมลถึง {address} ใช่ไหม",
        "ยกเลิกการรับอีเมล",
        "ยกเลิกแล้ว: {address} จะไม่ได้รับอีเมลเหล่านี้อีก",
        "ลิงก์ยกเลิกการรับอีเมลนี้ไม่ถูกต้อง โปรดใช้ลิงก์จากอีเมลของคุณ",
    ),
    "11": UnsubscribeTexts(
        "id",
        "Tidak ingin menerima email ini lagi?",
        "Berhenti berlangganan",
        "Berhenti berlangganan",
        "Berhenti mengirim email ke {address}?",
        "Berhenti berlangganan",
        "Berhasil berhenti berlangganan: {address} tidak akan menerima email ini lagi.",
        "Tautan berhenti berlangganan ini tidak valid. Gunakan tautan dari email Anda.",
    ),
    "12": UnsubscribeTexts(
        "vi",
        "Không muốn nhận những email này nữa?",
        "Hủy đăng ký",
        "Hủy đăng ký",
        "Ngừng gửi email đến {address}?",
        "Hủy đăng ký",
        "Đã hủy đăng ký: {address} sẽ không nhận những email này nữa.",
        "Liên kết hủy đăng ký này không hợp lệ. Vui lòng dùng liên kết trong email của bạn.",
    ),
}
DEFAULT = "2"


def texts_for(option: str | None) -> UnsubscribeTexts:
    """The texts of an option ("1".."12"); English for anything else."""
    return TEXTS.get((option or "").strip(), TEXTS[DEFAULT])


def text_footer(option: str, url: str) -> str:
    texts = texts_for(option)
    return f"\n\n--\n{texts.footer} {texts.link}: {url}\n"


def html_footer(option: str, url: str) -> str:
    """A footer paragraph; `url` is put in as it is (it may hold a placeholder), the words are escaped."""
    texts = texts_for(option)
    direction = ' dir="rtl"' if texts.rtl else ""
    return (
        f'<p lang="{texts.lang}"{direction} style="margin-top:24px;font-size:12px;color:#666">'
        f'{html.escape(texts.footer)} <a href="{url}" style="color:#666">{html.escape(texts.link)}</a></p>'
    )


def with_html_footer(source: str, footer: str) -> str:
    """The HTML with the footer at the end of its body."""
    lower = source.lower()
    end = lower.rfind("</body>")
    return f"{source[:end]}{footer}{source[end:]}" if end >= 0 else source + footer
