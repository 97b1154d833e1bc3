// Mailyard dashboard: small progressive enhancements; every page works without them.
"use strict";

(function () {
  const csrf = document.body.dataset.csrf || "";

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  }

  // A task's counters and bar, refreshed while it may still send.
  function watchProgress(card) {
    const url = card.dataset.progressUrl;
    const field = (name) => card.querySelector('[data-progress="' + name + '"]');
    let timer = null;
    async function refresh() {
      try {
        const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
        if (!response.ok) return;
        const progress = await response.json();
        for (const name of ["requested", "sent", "cached", "failed", "skipped", "opened", "clicked", "bounced"]) {
          const node = field(name);
          if (node) node.textContent = String(progress[name]);
        }
        const bar = field("bar");
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        const badge = field("status").querySelector(".badge");
        badge.className = "badge badge--" + progress.status;
        badge.lastChild.textContent = progress.status_label;
        if (!progress.live) {
          clearInterval(timer);
          card.removeAttribute("data-live");
          card.dataset.finished = "";
        }
      } catch (error) {
        // The next tick tries again.
      }
    }
    timer = setInterval(refresh, 1000);
  }

  // A CSV upload with a progress bar and a report naming each invalid row.
  function enhanceUpload(form) {
    const section = form.closest("section");
    const progress = section.querySelector("[data-upload-progress]");
    const bar = progress.querySelector("progress");
    const report = section.querySelector("[data-upload-report]");
    const labels = section.querySelector("[data-upload-labels]").dataset;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.upload.addEventListener("progress", (step) => {
        if (step.lengthComputable) bar.value = Math.round((100 * step.loaded) / step.total);
      });
      request.addEventListener("load", () => {
        progress.hidden = true;
        let body = null;
        try { body = JSON.parse(request.responseText); } catch (error) { body = null; }
        if (request.status >= 400 || !body || body.error) {
          const message = body && body.error ? body.error.message : String(request.status);
          report.replaceChildren(notice("notice--error", labels.failed + " " + message));
          return;
        }
        report.replaceChildren(uploadReport(body, labels));
      });
      request.addEventListener("error", () => {
        progress.hidden = true;
        report.replaceChildren(notice("notice--error", labels.failed));
      });
      bar.value = 0;
      progress.hidden = false;
      request.send(new FormData(form));
    });
  }

  function notice(kind, text) {
    const node = document.createElement("div");
    node.className = "notice " + kind;
    node.setAttribute("role", "status");
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    node.append(paragraph);
    return node;
  }

  function uploadReport(body, labels) {
    const text = labels.done.replace("{valid}", body.valid).replace("{total}", body.total);
    const node = notice(body.invalid_rows.length ? "notice--warning" : "notice--success", text);
    if (body.invalid_rows.length) {
      const heading = document.createElement("p");
      heading.className = "strong";
      heading.textContent = labels.invalid;
      const table = document.createElement("table");
      table.className = "table table--compact";
      const head = table.createTHead().insertRow();
      for (const label of [labels.line, labels.address, labels.reason]) {
        const cell = document.createElement("th");
        cell.scope = "col";
        cell.textContent = label;
        head.append(cell);
      }
      const rows = table.createTBody();
      for (const row of body.invalid_rows) {
        const line = rows.insertRow();
        for (const value of [row.line, row.address, row.reason]) line.insertCell().textContent = String(value);
      }
      const wrap = document.createElement("div");
      wrap.className = "table-wrap";
      wrap.append(table);
      node.append(heading, wrap);
    }
    const again = document.createElement("a");
    again.href = window.location.pathname;
    again.textContent = labels.reload;
    node.append(again);
    return node;
  }

  // The template editor's preview, rendered by the server as you type.
  function enhanceEditor(form) {
    const preview = document.querySelector(".preview");
    const value = (selector) => document.querySelector(selector).value;
    const missing = preview.querySelector("[data-preview-missing]");
    const notFound = preview.querySelector("[data-preview-not-found]");
    let pending = null;
    async function render() {
      const list = value("#preview-list");
      const body = {
        subject: value("#subject"), text: value("#text"), html: value("#html"),
        recipient_list: list ? Number(list) : null, recipient: value("#preview-recipient"),
      };
      const response = await postJson("/preview", body);
      if (!response.ok) return;
      const rendered = await response.json();
      preview.querySelector("[data-preview-subject]").textContent = rendered.subject || "";
      preview.querySelector("[data-preview-html]").srcdoc = rendered.html || "";
      preview.querySelector("[data-preview-text]").textContent = rendered.text || "";
      missing.hidden = rendered.missing.length === 0;
      missing.querySelector("[data-preview-missing-names]").textContent = rendered.missing.map((name) => "{{" + name + "}}").join(", ");
      notFound.hidden = rendered.recipient_found || !body.recipient || !list;
      preview.dataset.rendered = "";
    }
    document.querySelectorAll("[data-preview-source]").forEach((input) => {
      input.addEventListener("input", () => {
        clearTimeout(pending);
        pending = setTimeout(render, 250);
      });
    });
    render();
  }

  // Tabs of a message: HTML, text, headers, raw source.
  function enhanceTabs(box) {
    const tabs = Array.from(box.querySelectorAll('[role="tab"]'));
    function select(chosen) {
      for (const tab of tabs) {
        const selected = tab === chosen;
        tab.setAttribute("aria-selected", String(selected));
        tab.tabIndex = selected ? 0 : -1;
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
      }
    }
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => select(tab));
      tab.addEventListener("keydown", (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = tabs[(index + step + tabs.length) % tabs.length];
        next.focus();
        select(next);
      });
    });
    if (tabs.length) select(tabs[0]);
  }

  // Schedule fields only when a time is asked for.
  function enhanceSchedule(form) {
    const times = form.querySelector("[data-schedule-times]");
    const interval = form.querySelector("#interval_hours").closest(".field");
    function update() {
      const when = form.querySelector('input[name="when"]:checked').value;
      times.hidden = when === "now";
      interval.hidden = when !== "every";
    }
    form.querySelectorAll('input[name="when"]').forEach((input) => input.addEventListener("change", update));
    update();
  }

  document.querySelectorAll("[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  document.querySelectorAll("[data-back]").forEach((button) => button.addEventListener("click", () => history.back()));
  document.querySelectorAll("[data-progress-url][data-live]").forEach(watchProgress);
  document.querySelectorAll("[data-upload]").forEach(enhanceUpload);
  document.querySelectorAll("[data-template-editor]").forEach(enhanceEditor);
  document.querySelectorAll("[data-tabs]").forEach(enhanceTabs);
  document.querySelectorAll("[data-schedule-form]").forEach(enhanceSchedule);
})();
