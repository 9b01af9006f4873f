//! The e-mail channel: messages go to a configured SMTP server (`COLLECTIONS_SMTP_URL`,
//! `smtp://host:port` in plain, `smtp://…?tls=required` with STARTTLS, `smtps://` for TLS,
//! credentials in the URL) through lettre — or, where no server is wanted (the development
//! suite), are dropped as `.eml` files into a directory (`COLLECTIONS_MAIL_DROP_DIR`).
use credit_platform::secret::{ExposeSecret, SecretString};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::Path;

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Drop(AsyncFileTransport<Tokio1Executor>),
}

/// Sends e-mails, or says why it cannot.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<Transport>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer to the SMTP server at `url`, else into `drop_dir`, else none (messages wait),
    /// sending as `from`.
    pub fn new(
        url: Option<&SecretString>,
        drop_dir: Option<&Path>,
        from: &str,
    ) -> anyhow::Result<Self> {
        let transport = match (url, drop_dir) {
            // The URL is not in the error: it may carry the server's password.
            (Some(url), _) => Some(Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map(|b| b.build())
                    .map_err(|e| anyhow::anyhow!("COLLECTIONS_SMTP_URL: {e}"))?,
            )),
            (None, Some(dir)) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("COLLECTIONS_MAIL_DROP_DIR {}: {e}", dir.display())
                })?;
                Some(Transport::Drop(AsyncFileTransport::<Tokio1Executor>::new(
                    dir,
                )))
            }
            (None, None) => None,
        };
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("COLLECTIONS_MAIL_FROM {from}: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Sends one message; the error says what went wrong, for the message's record.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let Some(transport) = &self.transport else {
            return Err(
                "no channel configured (COLLECTIONS_SMTP_URL or COLLECTIONS_MAIL_DROP_DIR)".into(),
            );
        };
        let to: Mailbox = to.parse().map_err(|e| format!("recipient {to}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("message: {e}"))?;
        match transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Transport::Drop(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("mail drop: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_smtp_url_is_refused_without_showing_its_password() {
        let url = SecretString::from("ftp://clerk:hunter2@mail.example.com:465");
        let error = Mailer::new(Some(&url), None, "AR <ar@example.com>")
            .err()
            .expect("an ftp URL is not an SMTP server");
        let shown = format!("{error:#}");
        assert!(shown.contains("COLLECTIONS_SMTP_URL"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
