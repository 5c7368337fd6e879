//! Who is on the other end: the client's address, taken from `X-Forwarded-For` only
//! when the connection comes from a proxy the operator trusts. Anyone can write that
//! header; believing it from anyone else would let a spammer pick a fresh address for
//! every comment.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// An address block, as `10.0.0.0/8`, `::1/128` or a plain address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBlock {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for AddressBlock {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("\"{s}\" is not an address or block such as 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("\"{s}\" has a prefix length outside 0–{max}"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

impl AddressBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or — when the peer is a trusted
/// proxy — the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[AddressBlock]) -> String {
    let Some(peer) = peer.map(canonical) else {
        return String::new();
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|b| b.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    // Read from the nearest hop outwards: each trusted proxy vouches for the one before
    // it; the first address no trusted proxy is, is the client. Anything unreadable on
    // the way ends the walk (nobody we trust wrote it).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client.to_string()
}

/// Whether the request reached the site over https, as a trusted proxy reports it
/// (`X-Forwarded-Proto`; the last value, the one the nearest proxy wrote). `None` when
/// the peer is not trusted or says nothing: this server itself speaks plain HTTP.
pub fn forwarded_https(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[AddressBlock],
) -> Option<bool> {
    let peer = canonical(peer?);
    if !trusted.iter().any(|b| b.contains(peer)) {
        return None;
    }
    let proto = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .next_back()?;
    Some(proto.eq_ignore_ascii_case("https"))
}

/// The connection's peer address, from axum's connect info.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_scheme_counts_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse::<AddressBlock>().unwrap()];
        let proxy = Some("10.1.2.3".parse().unwrap());
        let stranger = Some("203.0.113.9".parse().unwrap());
        let proto = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-proto", HeaderValue::from_str(v).unwrap());
            h
        };
        assert_eq!(
            forwarded_https(proxy, &proto("https"), &trusted),
            Some(true)
        );
        assert_eq!(
            forwarded_https(proxy, &proto("http"), &trusted),
            Some(false)
        );
        // Several proxies: the nearest one's word counts.
        assert_eq!(
            forwarded_https(proxy, &proto("https, http"), &trusted),
            Some(false)
        );
        assert_eq!(forwarded_https(stranger, &proto("https"), &trusted), None);
        assert_eq!(forwarded_https(proxy, &HeaderMap::new(), &trusted), None);
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let h = headers("203.0.113.9, 10.1.2.3");
        // A stranger cannot pick their address.
        assert_eq!(
            address(Some("198.51.100.7".parse().unwrap()), &h, &trusted),
            "198.51.100.7"
        );
        // Through our proxies, the nearest untrusted hop is the client.
        assert_eq!(
            address(Some("10.0.0.1".parse().unwrap()), &h, &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            address(
                Some("::1".parse().unwrap()),
                &headers("spoofed, 192.0.2.1"),
                &trusted
            ),
            "192.0.2.1"
        );
        // A trusted peer without the header is the client itself.
        assert_eq!(
            address(
                Some("10.0.0.1".parse().unwrap()),
                &HeaderMap::new(),
                &trusted
            ),
            "10.0.0.1"
        );
    }

    #[test]
    fn blocks_parse_and_match() {
        let b: AddressBlock = "192.168.0.0/16".parse().unwrap();
        assert!(b.contains("192.168.40.1".parse().unwrap()));
        assert!(b.contains("::ffff:192.168.1.1".parse().unwrap()));
        assert!(!b.contains("192.169.0.1".parse().unwrap()));
        let all: AddressBlock = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<AddressBlock>().is_err());
        assert!("proxy".parse::<AddressBlock>().is_err());
    }
}
