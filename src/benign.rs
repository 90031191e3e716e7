//! Known-benign values shipped with the crate (see `data/benign/README.md` for sources and
//! licences). Built lazily on first use, then shared by all threads.

use ipnet::IpNet;
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

const LISTS: &[(&str, &str)] = &[
    ("rfc1918", include_str!("../data/benign/rfc1918.txt")),
    ("rfc5735", include_str!("../data/benign/rfc5735.txt")),
    ("rfc6598", include_str!("../data/benign/rfc6598.txt")),
    ("rfc3849", include_str!("../data/benign/rfc3849.txt")),
    (
        "ipv6-linklocal",
        include_str!("../data/benign/ipv6-linklocal.txt"),
    ),
    ("multicast", include_str!("../data/benign/multicast.txt")),
    (
        "public-dns-v4",
        include_str!("../data/benign/public-dns-v4.txt"),
    ),
    (
        "public-dns-v6",
        include_str!("../data/benign/public-dns-v6.txt"),
    ),
    (
        "empty-hashes",
        include_str!("../data/benign/empty-hashes.txt"),
    ),
    ("microsoft", include_str!("../data/benign/microsoft.txt")),
    (
        "microsoft-office365",
        include_str!("../data/benign/microsoft-office365.txt"),
    ),
    ("google", include_str!("../data/benign/google.txt")),
    ("rfc6761", include_str!("../data/benign/rfc6761.txt")),
    (
        "popular-domains",
        include_str!("../data/benign/popular-domains.txt"),
    ),
];

/// Human-readable descriptions of the lists, for messages.
fn describe(list: &str) -> &'static str {
    match list {
        "rfc1918" => "a private address range (RFC 1918)",
        "rfc5735" => {
            "a special-use IPv4 range (RFC 5735: loopback, link-local, documentation, reserved)"
        }
        "rfc6598" => "the shared address space (RFC 6598)",
        "rfc3849" => "the IPv6 documentation prefix (RFC 3849)",
        "ipv6-linklocal" => "the IPv6 link-local range",
        "multicast" => "a multicast range",
        "public-dns-v4" | "public-dns-v6" => "a public DNS resolver",
        "empty-hashes" => "the hash of an empty file",
        "microsoft" | "microsoft-office365" => "a Microsoft domain",
        "google" => "a Google domain",
        "rfc6761" => "a special-use domain name (RFC 6761)",
        _ => "a widely used domain",
    }
}

#[derive(Default)]
struct Data {
    hashes: HashMap<String, &'static str>,
    addrs: HashMap<IpAddr, &'static str>,
    /// The benign IPv4 networks in list order: (network bits, prefix length, list).
    nets_v4: Vec<(u32, u8, &'static str)>,
    /// The benign IPv6 networks in list order, likewise.
    nets_v6: Vec<(u128, u8, &'static str)>,
    exact_domains: HashMap<String, &'static str>,
    suffix_domains: HashMap<String, &'static str>,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        let mut d = Data::default();
        for (name, text) in LISTS {
            let kind = text
                .lines()
                .find_map(|l| l.strip_prefix("# kind: "))
                .unwrap_or("domain");
            for line in text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                match kind {
                    "hash" => {
                        d.hashes.insert(line.to_string(), name);
                    }
                    "cidr" => {
                        if let Ok(a) = line.parse::<IpAddr>() {
                            d.addrs.insert(a, name);
                        } else if let Ok(n) = line.parse::<IpNet>() {
                            match n.trunc() {
                                IpNet::V4(n) => {
                                    d.nets_v4
                                        .push((u32::from(n.network()), n.prefix_len(), name))
                                }
                                IpNet::V6(n) => {
                                    d.nets_v6
                                        .push((u128::from(n.network()), n.prefix_len(), name))
                                }
                            }
                        }
                    }
                    _ => {
                        if let Some(s) = line.strip_prefix('.') {
                            d.suffix_domains.insert(s.to_string(), name);
                        } else {
                            d.exact_domains.insert(line.to_string(), name);
                        }
                    }
                }
            }
        }
        d
    })
}

/// Why a canonical hash is known-benign, if it is.
pub fn hash(canonical: &str) -> Option<&'static str> {
    data().hashes.get(canonical).map(|l| describe(l))
}

/// Why a canonical address or network is known-benign: it lies inside a benign range or is a
/// listed address.
pub fn ip(canonical: &str) -> Option<&'static str> {
    let net = crate::indicator::parse_net(canonical)?;
    let d = data();
    if net.prefix_len() == net.max_prefix_len() {
        if let Some(l) = d.addrs.get(&net.addr()) {
            return Some(describe(l));
        }
    }
    // The first listed network that holds `net` (`IpNet::contains`: a prefix no longer than
    // `net`'s and the same leading bits), as integers rather than through `IpNet`.
    match net {
        IpNet::V4(n) => {
            let (bits, len) = (u32::from(n.network()), n.prefix_len());
            d.nets_v4
                .iter()
                .find(|&&(b, blen, _)| blen <= len && bits & mask_v4(blen) == b)
                .map(|(_, _, l)| describe(l))
        }
        IpNet::V6(n) => {
            let (bits, len) = (u128::from(n.network()), n.prefix_len());
            d.nets_v6
                .iter()
                .find(|&&(b, blen, _)| blen <= len && bits & mask_v6(blen) == b)
                .map(|(_, _, l)| describe(l))
        }
    }
}

fn mask_v4(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask_v6(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// Why a canonical domain (optionally `*.`-prefixed) is known-benign.
pub fn domain(canonical: &str) -> Option<&'static str> {
    let name = canonical.strip_prefix("*.").unwrap_or(canonical);
    let d = data();
    if let Some(l) = d
        .exact_domains
        .get(name)
        .or_else(|| d.suffix_domains.get(name))
    {
        return Some(describe(l));
    }
    let mut rest = name;
    while let Some((_, parent)) = rest.split_once('.') {
        if let Some(l) = d.suffix_domains.get(parent) {
            return Some(describe(l));
        }
        rest = parent;
    }
    None
}

/// Names of the shipped lists (for `ruleforge rule RF205`).
pub fn list_names() -> impl Iterator<Item = &'static str> {
    LISTS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_load_and_match() {
        assert!(ip("10.1.2.3").is_some());
        assert!(ip("10.1.0.0/16").is_some());
        assert!(ip("127.0.0.1").is_some());
        assert!(ip("8.8.8.8").is_some());
        assert!(ip("2001:db8::1").is_some());
        assert!(ip("13.59.205.66").is_none());
        assert!(hash("d41d8cd98f00b204e9800998ecf8427e").is_some());
        assert!(hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").is_some());
        assert!(domain("microsoft.com").is_some());
        assert!(domain("login.microsoftonline.com").is_some());
        assert!(domain("www.google.com").is_some());
        assert!(domain("avsvmcloud.com").is_none());
    }

    /// The integer tables give the answer `IpNet::contains` over the listed networks gives,
    /// in list order, for addresses and networks inside, across and outside the ranges.
    #[test]
    fn ip_tables_agree_with_ipnet_contains() {
        let nets: Vec<(IpNet, &str)> = LISTS
            .iter()
            .filter(|(_, t)| t.contains("# kind: cidr"))
            .flat_map(|(name, t)| {
                t.lines()
                    .filter(|l| !l.starts_with('#') && l.contains('/'))
                    .filter_map(move |l| l.parse::<IpNet>().ok().map(|n| (n.trunc(), *name)))
            })
            .collect();
        assert!(nets.len() > 10);
        let mut probes: Vec<String> = Vec::new();
        for (n, _) in &nets {
            for len in 0..=n.max_prefix_len() {
                for a in [n.network(), n.broadcast()] {
                    probes.push(format!("{a}/{len}"));
                    probes.push(a.to_string());
                }
            }
        }
        probes.extend(
            [
                "0.0.0.0/0",
                "::/0",
                "9.255.255.255",
                "11.0.0.0",
                "172.15.255.255",
                "172.32.0.0",
                "192.169.0.0/16",
                "fe7f::1",
                "fec0::/10",
                "2001:db9::/32",
                "255.255.255.255",
                "224.0.0.0/3",
                "13.59.205.66",
            ]
            .map(String::from),
        );
        let d = data();
        for p in &probes {
            let net = crate::indicator::parse_net(p).unwrap();
            let exact = (net.prefix_len() == net.max_prefix_len())
                .then(|| d.addrs.get(&net.addr()).copied())
                .flatten();
            let expect = exact
                .or_else(|| nets.iter().find(|(b, _)| b.contains(&net)).map(|(_, l)| *l))
                .map(describe);
            assert_eq!(ip(p), expect, "{p}");
        }
    }
}
