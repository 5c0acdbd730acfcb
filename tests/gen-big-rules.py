#!/usr/bin/python3
"""Generate large rule files to measure `vpcfw check` (load and lint) at scale.

    tests/gen-big-rules.py sg-json N  > sg.json    N security-group rules, AWS CLI JSON
    tests/gen-big-rules.py nacl-json N > nacl.json  N NACL entries per direction, AWS CLI JSON
    tests/gen-big-rules.py native N > big.rules     both, in the native rule language

The rules mix what real exports hold: many /32 and /24 peers in 10.0.0.0/8,
a few broad rules that cover many others (so the redundancy lint has work to
do), IPv4 and IPv6, TCP/UDP port ranges and ICMP. Deterministic (seeded), so
two runs time the same input. Then:

    time build/src/vpcfw check --no-quotas sg.json >/dev/null

(--no-quotas: files this large exceed AWS's quotas on purpose.)
"""
import json
import random
import sys


def peer(rng, i):
    kind = i % 10
    if kind == 0:
        return "2001:db8:%x:%x::/64" % (rng.randrange(65536), rng.randrange(65536))
    if kind < 4:
        return "10.%d.%d.0/24" % (rng.randrange(256), rng.randrange(256))
    return "10.%d.%d.%d/32" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def ports(rng, i):
    if i % 7 == 0:
        return ("icmp", -1 if i % 14 else 8, -1)
    proto = "tcp" if i % 3 else "udp"
    lo = rng.randrange(1, 60000)
    hi = lo if i % 2 else min(65535, lo + rng.randrange(1, 2000))
    return (proto, lo, hi)


def sg_json(n):
    rng = random.Random(1)
    groups = []
    per_group = 1000
    for g in range((n + per_group - 1) // per_group):
        ingress, egress = [], []
        for i in range(g * per_group, min(n, (g + 1) * per_group)):
            proto, lo, hi = ports(rng, i)
            cidr = peer(rng, i)
            if i % 500 == 1:
                cidr, proto, lo, hi = "10.0.0.0/8", "tcp", 1, 65535
            rng_key = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
            perm = {"IpProtocol": proto, "FromPort": lo, "ToPort": hi,
                    "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                    "UserIdGroupPairs": []}
            perm[rng_key[0]] = [{rng_key[1]: cidr}]
            (egress if i % 4 == 3 else ingress).append(perm)
        groups.append({"GroupId": "sg-%017x" % (g + 1), "GroupName": "g%d" % g,
                       "Description": "generated", "IpPermissions": ingress,
                       "IpPermissionsEgress": egress, "VpcId": "vpc-1"})
    return json.dumps({"SecurityGroups": groups}, indent=4)


def nacl_entries(n):
    rng = random.Random(2)
    out = []
    for egress in (False, True):
        for i in range(n):
            proto, lo, hi = ports(rng, i)
            e = {"Egress": egress, "RuleNumber": i + 1,
                 "RuleAction": "deny" if i % 5 == 0 else "allow"}
            cidr = peer(rng, i)
            e["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
            if proto == "icmp":
                e["Protocol"] = "1" if ":" not in cidr else "58"
                e["IcmpTypeCode"] = {"Type": lo, "Code": hi}
            else:
                e["Protocol"] = "6" if proto == "tcp" else "17"
                e["PortRange"] = {"From": lo, "To": hi}
            out.append(e)
    return out


def nacl_json(n):
    return json.dumps({"NetworkAcls": [{"NetworkAclId": "acl-0123456789abcdef0",
                                        "Entries": nacl_entries(n),
                                        "VpcId": "vpc-1"}]}, indent=4)


def native(n):
    lines = ["nacl acl-0123456789abcdef0"]
    entries = nacl_entries(n)
    for egress in (False, True):
        lines.append("outbound" if egress else "inbound")
        for e in entries:
            if e["Egress"] != egress:
                continue
            cidr = e.get("CidrBlock") or e.get("Ipv6CidrBlock")
            if "IcmpTypeCode" in e:
                t = e["IcmpTypeCode"]
                what = "icmp" if e["Protocol"] == "1" else "icmpv6"
                what += "" if t["Type"] < 0 else " %d" % t["Type"]
            else:
                r = e["PortRange"]
                what = "%s %d-%d" % ("tcp" if e["Protocol"] == "6" else "udp",
                                      r["From"], r["To"])
            lines.append("  %d %s %s %s" % (e["RuleNumber"], e["RuleAction"], what, cidr))
    rng = random.Random(3)
    lines.append('sg sg-0123456789abcdef0 "generated"')
    for egress in (False, True):
        lines.append("outbound" if egress else "inbound")
        for i in range(n):
            proto, lo, hi = ports(rng, i)
            if proto == "icmp":
                what = "icmp" if lo < 0 else "icmp %d" % lo
            else:
                what = "%s %d-%d" % (proto, lo, hi)
            cidr = peer(rng, i)
            if proto == "icmp" and ":" in cidr:
                what = "icmpv6" + what[4:]
            lines.append("  %s %s" % (what, cidr))
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("sg-json", "nacl-json", "native"):
        sys.exit(__doc__)
    n = int(sys.argv[2])
    gen = {"sg-json": sg_json, "nacl-json": nacl_json, "native": native}[sys.argv[1]]
    sys.stdout.write(gen(n))


if __name__ == "__main__":
    main()
