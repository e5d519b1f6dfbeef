//! The base URL rules: absolute, `https` (plain `http` only for loopback hosts, which are also
//! kept off any proxy), no credentials, query or fragment.

use crate::error::Error;
use reqwest::Url;
use std::net::IpAddr;

/// Whether this build can speak https at all (any TLS feature; `cfg(tls)` is set by build.rs).
const HAS_TLS: bool = cfg!(tls);

/// Checks a base URL: `https` only, except on loopback hosts. Returns it as text without a
/// trailing slash, and parsed.
pub(crate) fn normalize_base_url(raw: &str) -> Result<(String, Url), Error> {
    let rule = |r: &str| Error::invalid_input("base_url", r);
    let url = Url::parse(raw.trim()).map_err(|e| rule(&format!("must be an absolute URL ({e})")))?;
    match url.scheme() {
        "https" if !HAS_TLS => {
            return Err(rule(
                "is https, but this build has no TLS: enable the `rustls` (default), `rustls-ring` or `native-tls` feature",
            ));
        }
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(rule("must use https; plain http is allowed only for loopback hosts")),
        _ => return Err(rule("must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(rule("must not contain credentials; use ClientBuilder::api_key"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(rule("must not have a query or a fragment"));
    }
    Ok((url.as_str().trim_end_matches('/').to_owned(), url))
}

/// `base` with `segments` appended as path segments, each percent-encoded. http(s) URLs always
/// have a path to extend; [`normalize_base_url`] refused anything else.
pub(crate) fn join(mut base: Url, segments: &[&str]) -> Url {
    if let Ok(mut path) = base.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    base
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::normalize_base_url;

    #[test]
    fn base_urls() {
        if super::HAS_TLS {
            assert_eq!(normalize_base_url("https://openrouter.ai/api/v1/").unwrap().0, "https://openrouter.ai/api/v1");
        }
        for ok in ["http://127.0.0.1:8080", "http://localhost:1/api", "http://[::1]:9", "http://127.9.9.9"] {
            assert!(normalize_base_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://openrouter.ai/api/v1", "https"),
            ("http://10.0.0.1", "https"),
            ("ftp://openrouter.ai", "https"),
            ("openrouter.ai", "absolute"),
            ("http://user:pw@127.0.0.1", "credentials"),
            ("http://127.0.0.1/?x=1", "query"),
            ("http://localhost#top", "fragment"),
        ] {
            let e = normalize_base_url(bad).unwrap_err().to_string();
            assert!(e.contains("base_url") && e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn https_is_refused_up_front_by_a_build_without_tls() {
        let result = normalize_base_url(crate::DEFAULT_BASE_URL);
        if super::HAS_TLS {
            assert!(result.is_ok());
        } else {
            let e = result.unwrap_err().to_string();
            assert!(e.contains("base_url") && e.contains("no TLS") && e.contains("rustls"), "{e}");
        }
    }
}
