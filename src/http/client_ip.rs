//! The client's address behind reverse proxies (security table row 14, `KVAR_TRUSTED_PROXIES`):
//! `X-Forwarded-For` counts only when the peer itself is a trusted proxy, and then the
//! right-most address in it that is not a trusted proxy is the client (every hop appends the
//! address it received from, so anything left of the first untrusted hop may be forged). A
//! header from an untrusted peer is ignored, and so is a malformed one.

use std::net::IpAddr;

/// An address block: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse `addr` or `addr/prefix`; `None` when malformed or the prefix is too long.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        // An IPv4 peer seen as an IPv4-mapped IPv6 address is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v) => v.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if ip.is_ipv4() != self.net.is_ipv4() {
            return false;
        }
        if self.prefix == 0 {
            return true;
        }
        let shift = 128 - u32::from(self.prefix);
        bits(ip) >> shift == bits(self.net) >> shift
    }
}

/// Parse the `KVAR_TRUSTED_PROXIES` list (comma-separated); the first bad entry is the error.
pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Cidr::parse(e).ok_or_else(|| format!("{e:?} is not an address or address/prefix")))
        .collect()
}

fn trusted(list: &[Cidr], ip: IpAddr) -> bool {
    list.iter().any(|c| c.contains(ip))
}

/// The client address of a request from `peer` carrying `forwarded_for` (the
/// `X-Forwarded-For` values, in order).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], proxies: &[Cidr]) -> IpAddr {
    if !trusted(proxies, peer) {
        return peer;
    }
    let hops: Option<Vec<IpAddr>> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(|a| a.trim().parse::<IpAddr>().ok())
        .collect();
    let Some(hops) = hops else { return peer };
    // Every hop trusted: the left-most is where the request came from, as our proxies say.
    let first = hops.first().copied().unwrap_or(peer);
    hops.into_iter()
        .rev()
        .find(|ip| !trusted(proxies, *ip))
        .unwrap_or(first)
}

/// The client address of an actix request under `proxies`.
pub fn of_request(req: &actix_web::HttpRequest, proxies: &[Cidr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(client_ip(peer, &values, proxies))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn blocks_parse_and_contain() {
        let c = Cidr::parse("10.0.0.0/8").expect("cidr");
        assert!(c.contains(ip("10.200.1.2")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(!c.contains(ip("2001:db8::1")));
        let one = Cidr::parse("192.0.2.7").expect("one address");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6 = Cidr::parse("2001:db8::/32").expect("v6");
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "x", "10.0.0.0/-1", ""] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(parse_list(" 10.0.0.0/8, ::1 ,").expect("list").len(), 2);
        assert!(parse_list("10.0.0.0/8,nope").is_err());
        assert!(parse_list("").expect("empty").is_empty());
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer_and_right_to_left() {
        let proxies = parse_list("10.0.0.0/8").expect("list");
        // An untrusted peer's header is ignored: it could say anything.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["1.2.3.4"], &proxies),
            ip("203.0.113.9")
        );
        // Through our proxy: the right-most untrusted hop is the client.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
        // A client forging a left-most entry does not move its address.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &["1.1.1.1, 198.51.100.1, 10.0.0.3"],
                &proxies
            ),
            ip("198.51.100.1")
        );
        // Several header lines read as one list, in order.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["1.1.1.1", "198.51.100.2"], &proxies),
            ip("198.51.100.2")
        );
        // Missing or malformed headers: the peer; every hop ours: the left-most.
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &proxies), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["198.51.100.1, garbage"], &proxies),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["10.0.0.9, 10.0.0.8"], &proxies),
            ip("10.0.0.9")
        );
        // No proxies configured (the default): never the header.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["198.51.100.1"], &[]),
            ip("10.0.0.2")
        );
    }
}
