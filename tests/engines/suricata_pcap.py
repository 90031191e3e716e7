#!/usr/bin/env python3
"""Writes a pcap of network traffic for the Suricata export test, built with scapy.

Usage: suricata_pcap.py ITEMS.json OUT.pcap

ITEMS.json is a list of traffic items; item i is sent from client 10.77.<i>.2 to server
10.77.<i>.1 (unless it names its own addresses), so every alert can be traced back to its
item by address. Kinds:
  {"kind": "dns", "name": "..."}                      a DNS A query over UDP
  {"kind": "tls", "sni": "..."}                       a TLS 1.2 ClientHello with SNI over TCP 443
  {"kind": "http", "host": "...", "uri": "/...", "user_agent": "...", "body": "..."}
                                                      an HTTP/1.1 GET over TCP 80 and its 200 reply
  {"kind": "ip", "src": "...", "dst": "..."}          a UDP datagram between two addresses
"""

import json
import sys

from scapy.all import DNS, DNSQR, IP, TCP, UDP, Ether, Raw, wrpcap

CLIENT_MAC = "02:00:00:00:00:02"
SERVER_MAC = "02:00:00:00:00:01"


def client_hello(sni):
    """A TLS 1.2 ClientHello record with one server_name extension (RFC 5246, RFC 6066).

    Written by hand: scapy's TLS layer needs the `cryptography` package for nothing we use."""
    name = sni.encode()
    server_name = b"\x00" + len(name).to_bytes(2, "big") + name
    sni_ext = (
        b"\x00\x00"
        + (len(server_name) + 2).to_bytes(2, "big")
        + len(server_name).to_bytes(2, "big")
        + server_name
    )
    body = (
        b"\x03\x03"  # client_version TLS 1.2
        + bytes(range(32))  # random
        + b"\x00"  # session id
        + b"\x00\x04\xc0\x2f\x00\x9c"  # cipher suites
        + b"\x01\x00"  # compression: null
        + len(sni_ext).to_bytes(2, "big")
        + sni_ext
    )
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


class Clock:
    def __init__(self):
        self.t = 1_700_000_000.0

    def stamp(self, pkt):
        self.t += 0.001
        pkt.time = self.t
        return pkt


def tcp_session(clock, client, server, sport, dport, request, response):
    """A whole TCP session: handshake, request, reply, and both FINs."""
    c = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=client, dst=server)
    s = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=server, dst=client)
    cseq, sseq = 1000, 5000
    pkts = [
        c / TCP(sport=sport, dport=dport, flags="S", seq=cseq),
        s / TCP(sport=dport, dport=sport, flags="SA", seq=sseq, ack=cseq + 1),
        c / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1),
    ]
    cseq += 1
    sseq += 1
    pkts.append(c / TCP(sport=sport, dport=dport, flags="PA", seq=cseq, ack=sseq) / Raw(request))
    cseq += len(request)
    pkts.append(s / TCP(sport=dport, dport=sport, flags="A", seq=sseq, ack=cseq))
    if response:
        pkts.append(s / TCP(sport=dport, dport=sport, flags="PA", seq=sseq, ack=cseq) / Raw(response))
        sseq += len(response)
        pkts.append(c / TCP(sport=sport, dport=dport, flags="A", seq=cseq, ack=sseq))
    pkts += [
        c / TCP(sport=sport, dport=dport, flags="FA", seq=cseq, ack=sseq),
        s / TCP(sport=dport, dport=sport, flags="FA", seq=sseq, ack=cseq + 1),
        c / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1),
    ]
    return [clock.stamp(p) for p in pkts]


def item_packets(clock, i, item):
    client, server = f"10.77.{i}.2", f"10.77.{i}.1"
    kind = item["kind"]
    if kind == "dns":
        q = (
            Ether(src=CLIENT_MAC, dst=SERVER_MAC)
            / IP(src=client, dst=server)
            / UDP(sport=40000 + i, dport=53)
            / DNS(id=i + 1, rd=1, qd=DNSQR(qname=item["name"]))
        )
        return [clock.stamp(q)]
    if kind == "tls":
        return tcp_session(clock, client, server, 41000 + i, 443, client_hello(item["sni"]), b"")
    if kind == "http":
        request = (
            f"GET {item.get('uri', '/')} HTTP/1.1\r\nHost: {item['host']}\r\n"
            f"User-Agent: {item.get('user_agent', 'curl/8.0')}\r\nAccept: */*\r\n\r\n"
        ).encode()
        body = item.get("body", "ok").encode()
        response = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return tcp_session(clock, client, server, 42000 + i, 80, request, response)
    if kind == "ip":
        p = (
            Ether(src=CLIENT_MAC, dst=SERVER_MAC)
            / IP(src=item["src"], dst=item["dst"])
            / UDP(sport=43000 + i, dport=9999)
            / Raw(b"ping")
        )
        return [clock.stamp(p)]
    raise SystemExit(f"unknown kind {kind!r} in item {i}")


def main():
    items = json.load(open(sys.argv[1]))
    clock = Clock()
    pkts = []
    for i, item in enumerate(items):
        pkts += item_packets(clock, i, item)
    wrpcap(sys.argv[2], pkts)
    print(f"{len(items)} items, {len(pkts)} packets")


if __name__ == "__main__":
    main()
