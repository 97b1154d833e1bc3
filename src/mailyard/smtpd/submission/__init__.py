"""SMTP submission: applications hand mail to Mailyard over SMTP, as to Tencent SES's SMTP service."""
