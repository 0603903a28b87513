//! The client's IP address: the socket's peer, or, when the peer is a trusted proxy, the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The networks whose `X-Forwarded-For` is believed (empty by default: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Parses a comma-separated list of CIDRs or single addresses.
    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("MOSS_TRUSTED_PROXIES: {s:?} is not an address or CIDR"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of `req`.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        self.resolve(
            peer,
            req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()),
        )
    }

    /// The client behind `peer`, given the `X-Forwarded-For` header values in order.
    pub fn resolve<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> Option<IpAddr> {
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // An unreadable entry ends the chain: what is left of it cannot be believed.
                Err(_) => break,
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[rstest]
    #[case("", "10.0.0.5", &["203.0.113.9"], "10.0.0.5")]
    #[case("10.0.0.0/8", "10.0.0.5", &[], "10.0.0.5")]
    #[case("10.0.0.0/8", "10.0.0.5", &["203.0.113.9"], "203.0.113.9")]
    #[case("10.0.0.0/8", "10.0.0.5", &["198.51.100.1, 203.0.113.9, 10.0.0.7"], "203.0.113.9")]
    #[case("10.0.0.0/8", "10.0.0.5", &["198.51.100.1", "203.0.113.9"], "203.0.113.9")]
    #[case("10.0.0.0/8", "192.0.2.1", &["203.0.113.9"], "192.0.2.1")]
    #[case("10.0.0.0/8, 127.0.0.1", "127.0.0.1", &["nonsense, 203.0.113.9"], "203.0.113.9")]
    #[case("10.0.0.0/8", "10.0.0.5", &["203.0.113.9, garbage"], "10.0.0.5")]
    #[case("::1/128", "::1", &["2001:db8::1"], "2001:db8::1")]
    fn right_most_untrusted_hop(#[case] trusted: &str, #[case] peer: &str, #[case] xff: &[&str], #[case] want: &str) {
        let t: TrustedProxies = trusted.parse().unwrap();
        assert_eq!(t.resolve(ip(peer), xff.iter().copied()), Some(ip(want)));
    }

    #[test]
    fn bad_entries_are_refused_naming_the_variable() {
        assert!(
            "10.0.0.0/33"
                .parse::<TrustedProxies>()
                .unwrap_err()
                .starts_with("MOSS_TRUSTED_PROXIES")
        );
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
    }
}
