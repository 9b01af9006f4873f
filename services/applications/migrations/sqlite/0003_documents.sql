-- Documents of applications; the content lives in the document store under its SHA-256.
CREATE TABLE documents (
    document_id    TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    kind           TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL
);
CREATE INDEX documents_application ON documents (application_id, document_id);
