//! The DSSE envelope (Dead Simple Signing Envelope v1.0,
//! <https://github.com/secure-systems-lab/dsse/blob/v1.0.0/envelope.md>) and its
//! pre-authentication encoding (`protocol.md`): what is signed is never the payload alone but
//! `PAE(payloadType, payload)`, so a signature cannot be replayed under another type.
//!
//! ```text
//! { "payload": "<Base64(SERIALIZED_BODY)>", "payloadType": "<PAYLOAD_TYPE>",
//!   "signatures": [{ "keyid": "<KEYID>", "sig": "<Base64(SIGNATURE)>" }] }
//! PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//! ```
//!
//! `keyid` is an unauthenticated hint (the protocol: it "MUST NOT be used for security
//! decisions"); witness writes the signing key's fingerprint there and shows it beside what
//! the signature itself says.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::{Deserialize, Serialize};

use crate::error::Rejection;

/// The payload type of an in-toto Statement in JSON (in-toto's `spec/v1/envelope.md`).
pub(crate) const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `PAE(type, body)`: the bytes a DSSE signature is made over.
pub(crate) fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The JSON envelope. Unknown fields are ignored, as the envelope's parsing rules say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Envelope {
    pub(crate) payload: String,
    #[serde(rename = "payloadType")]
    pub(crate) payload_type: String,
    pub(crate) signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Signature {
    /// Unset is the same as empty (the parsing rules).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) keyid: String,
    pub(crate) sig: String,
}

impl Envelope {
    /// An envelope of one signature over `body` (standard base64, which DSSE allows).
    pub(crate) fn new(payload_type: &str, body: &[u8], keyid: &str, sig: &[u8]) -> Self {
        Envelope {
            payload: STANDARD.encode(body),
            payload_type: payload_type.to_string(),
            signatures: vec![Signature {
                keyid: keyid.to_string(),
                sig: STANDARD.encode(sig),
            }],
        }
    }

    /// The serialized body (the payload decoded).
    pub(crate) fn body(&self) -> Result<Vec<u8>, Rejection> {
        decode("payload", &self.payload)
    }
}

/// Base64 as DSSE has it: "Either standard or URL-safe base64 encodings are allowed. Signers
/// may use either, and verifiers MUST accept either."
pub(crate) fn decode(field: &str, text: &str) -> Result<Vec<u8>, Rejection> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|source| Rejection::Base64 {
            field: field.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The protocol's own test vector (`protocol.md`, "Test Vectors").
    #[test]
    fn pae_is_the_specs_test_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        // Lengths are of bytes, not characters; an empty body still has its separator.
        assert_eq!(pae("t/é", b""), "DSSEv1 4 t/é 0 ".as_bytes());
    }

    /// The protocol's example envelope reads, and its payload is the example's body; the
    /// URL-safe alphabet is accepted too, and anything else is named.
    #[test]
    fn the_specs_envelope_reads() {
        let e: Envelope = serde_json::from_str(
            r#"{"payload": "aGVsbG8gd29ybGQ=",
                "payloadType": "http://example.com/HelloWorld",
                "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#,
        )
        .unwrap();
        assert_eq!(e.body().unwrap(), b"hello world");
        assert_eq!(e.signatures[0].keyid, "");
        assert_eq!(decode("sig", "-_8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(
            decode("sig", "not base64!").unwrap_err().to_string(),
            "its sig is not base64 (standard or URL-safe)"
        );
    }

    /// What witness writes is what it reads back.
    #[test]
    fn an_envelope_round_trips() {
        let e = Envelope::new(PAYLOAD_TYPE, b"{}\n", "SHA256:abc", &[1, 2, 3]);
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"payload":"e30K","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"SHA256:abc","sig":"AQID"}]}"#
        );
        assert_eq!(serde_json::from_str::<Envelope>(&text).unwrap(), e);
    }
}
