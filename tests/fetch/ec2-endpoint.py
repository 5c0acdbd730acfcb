#!/usr/bin/python3
"""A local stand-in for the EC2 Query API, for `vpcfw fetch` tests.

The real AWS CLI talks to it (--endpoint-url http://127.0.0.1:PORT): it
POSTs form-encoded requests (Action=DescribeInstances&Version=2016-11-15
&InstanceId.1=...) and parses the XML answer with its own service model, so
a document that does not follow AWS's shape fails in the CLI, not here.
The answers follow the response examples of the EC2 API Reference
(DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups,
DescribeNetworkAcls, DescribeManagedPrefixLists,
GetManagedPrefixListEntries): the element names are the API's, the ids
and addresses those of one fixture VPC (below), the filters the tests use
are honoured, and an unknown id is AWS's error document with HTTP 400.

Usage: ec2-endpoint.py PORT-FILE [LOG-FILE]
Listens on 127.0.0.1, an ephemeral port written to PORT-FILE once bound;
each request's Action and parameters go to LOG-FILE, one line each.
Run it inside a network namespace the test made: it touches nothing else.
"""

import http.server
import os
import sys
import urllib.parse
from xml.sax.saxutils import escape

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
OWNER = "111122223333"
VPC = "vpc-0a1b2c3d4e5f60718"
SUBNET_WEB = "subnet-0a1b2c3d4e5f60001"
SUBNET_DB = "subnet-0a1b2c3d4e5f60002"
SG_WEB = "sg-0a1b2c3d4e5f00001"
SG_DB = "sg-0a1b2c3d4e5f00002"
PL_SSH = "pl-0a1b2c3d4e5f00099"
SG_LONELY = "sg-0a1b2c3d4e5f00003"
SG_NOBODY = "sg-0a1b2c3d4e5f00004"
PL_EMPTY = "pl-0a1b2c3d4e5f00098"

# ---------------------------------------------------------------- the fixture
#
#   vpc-0a1b2c3d4e5f60718
#     subnet ...60001 (10.99.0.0/24, fd99::/64), network ACL acl-...0010
#       web  i-0f1e2d3c4b5a69788  eni-...1111 10.99.0.1 fd99::1   [sg-web]
#       db   i-0a0a0a0a0a0a0a0a1  eni-...2222 10.99.0.2 fd99::2   [sg-db]
#       two  i-0c0c0c0c0c0c0c0c2  eni-...3333 10.99.0.9 (device 0) [sg-web]
#                                 eni-...4444 10.99.2.9 (device 1) [sg-db]
#     subnet ...60002 (10.99.2.0/24), network ACL acl-...0011 (allow all)
#       db2  i-0a0a0a0a0a0a0a0a3  eni-...5555 10.99.2.7           [sg-db]
#       lone i-0e0e0e0e0e0e0e0e4  eni-...6666 10.99.2.4           [sg-lonely]
#
#   sg-web: in tcp 80 and 443 from 0.0.0.0/0 and ::/0, tcp 22 from pl-ssh;
#           out tcp 5432 to sg-db
#   sg-db:  in tcp 5432 from sg-web
#   sg-lonely: in tcp 443 from 10.99.0.0/16, tcp 8443 from sg-nobody (a group
#           with no member), tcp 9000 from pl-empty (a list with no entry)
#   pl-ssh: 10.99.0.0/24, 198.51.100.0/24

ENIS = [
    {"id": "eni-0a1b2c3d4e5f61111", "instance": "i-0f1e2d3c4b5a69788", "device": 0,
     "subnet": SUBNET_WEB, "mac": "02:00:0a:63:00:01", "ips": ["10.99.0.1"],
     "ipv6": ["fd99::1"], "groups": [(SG_WEB, "web")],
     "conntrack": (3600, 120, 30)},
    {"id": "eni-0a1b2c3d4e5f62222", "instance": "i-0a0a0a0a0a0a0a0a1", "device": 0,
     "subnet": SUBNET_WEB, "mac": "02:00:0a:63:00:02", "ips": ["10.99.0.2"],
     "ipv6": ["fd99::2"], "groups": [(SG_DB, "db")], "conntrack": None},
    {"id": "eni-0a1b2c3d4e5f63333", "instance": "i-0c0c0c0c0c0c0c0c2", "device": 0,
     "subnet": SUBNET_WEB, "mac": "02:00:0a:63:00:09", "ips": ["10.99.0.9"],
     "ipv6": [], "groups": [(SG_WEB, "web")], "conntrack": None},
    {"id": "eni-0a1b2c3d4e5f64444", "instance": "i-0c0c0c0c0c0c0c0c2", "device": 1,
     "subnet": SUBNET_DB, "mac": "02:00:0a:63:02:09", "ips": ["10.99.2.9"],
     "ipv6": [], "groups": [(SG_DB, "db")], "conntrack": None},
    {"id": "eni-0a1b2c3d4e5f65555", "instance": "i-0a0a0a0a0a0a0a0a3", "device": 0,
     "subnet": SUBNET_DB, "mac": "02:00:0a:63:02:07", "ips": ["10.99.2.7"],
     "ipv6": [], "groups": [(SG_DB, "db")], "conntrack": None},
    {"id": "eni-0a1b2c3d4e5f66666", "instance": "i-0e0e0e0e0e0e0e0e4", "device": 0,
     "subnet": SUBNET_DB, "mac": "02:00:0a:63:02:04", "ips": ["10.99.2.4"],
     "ipv6": [], "groups": [(SG_LONELY, "lonely")], "conntrack": None},
]

# (protocol, from, to, [cidr], [cidrv6], [prefix lists], [groups])
GROUPS = {
    SG_WEB: {"name": "web", "desc": "web servers", "in": [
        ("tcp", 80, 80, ["0.0.0.0/0"], ["::/0"], [], []),
        ("tcp", 443, 443, ["0.0.0.0/0"], ["::/0"], [], []),
        ("tcp", 22, 22, [], [], [PL_SSH], []),
    ], "out": [
        ("tcp", 5432, 5432, [], [], [], [SG_DB]),
    ]},
    SG_DB: {"name": "db", "desc": "databases", "in": [
        ("tcp", 5432, 5432, [], [], [], [SG_WEB]),
    ], "out": [
        ("-1", None, None, ["0.0.0.0/0"], [], [], []),
    ]},
    SG_LONELY: {"name": "lonely", "desc": "names nobody", "in": [
        ("tcp", 443, 443, ["10.99.0.0/16"], [], [], []),
        ("tcp", 8443, 8443, [], [], [], [SG_NOBODY]),
        ("tcp", 9000, 9000, [], [], [PL_EMPTY], []),
    ], "out": []},
}

# (number, protocol, action, egress, cidr, (from, to) or None)
NACLS = {
    "acl-0a1b2c3d4e5f00010": {"subnets": [SUBNET_WEB], "default": False, "entries": [
        (100, "6", "allow", False, "0.0.0.0/0", (80, 80)),
        (101, "6", "allow", False, "::/0", (80, 80)),
        (110, "6", "allow", False, "0.0.0.0/0", (443, 443)),
        (111, "6", "allow", False, "::/0", (443, 443)),
        (120, "6", "allow", False, "10.99.0.0/24", (22, 22)),
        (130, "6", "allow", False, "0.0.0.0/0", (1024, 65535)),
        (131, "6", "allow", False, "::/0", (1024, 65535)),
        (32767, "-1", "deny", False, "0.0.0.0/0", None),
        (32768, "-1", "deny", False, "::/0", None),
        (100, "6", "allow", True, "0.0.0.0/0", (32768, 65535)),
        (101, "6", "allow", True, "::/0", (32768, 65535)),
        (110, "6", "allow", True, "10.99.0.0/16", (5432, 5432)),
        (111, "6", "allow", True, "fd99::/64", (5432, 5432)),
        (32767, "-1", "deny", True, "0.0.0.0/0", None),
        (32768, "-1", "deny", True, "::/0", None),
    ]},
    "acl-0a1b2c3d4e5f00011": {"subnets": [SUBNET_DB], "default": True, "entries": [
        (100, "-1", "allow", False, "0.0.0.0/0", None),
        (32767, "-1", "deny", False, "0.0.0.0/0", None),
        (100, "-1", "allow", True, "0.0.0.0/0", None),
        (32767, "-1", "deny", True, "0.0.0.0/0", None),
    ]},
}

PREFIX_LISTS = {
    PL_SSH: {"name": "office-ssh", "family": "IPv4", "max": 10,
             "entries": [("10.99.0.0/24", "lab"), ("198.51.100.0/24", "office")]},
    PL_EMPTY: {"name": "empty", "family": "IPv4", "max": 5, "entries": []},
}

# ---------------------------------------------------------------- XML


def el(name, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "<%s>%s</%s>" % (name, escape(str(value)), name)


def items(name, parts):
    return "<%s>%s</%s>" % (name, "".join("<item>%s</item>" % p for p in parts), name)


def group_set(groups):
    return items("groupSet", [el("groupId", g) + el("groupName", n) for g, n in groups])


def eni_addresses(e):
    return (el("privateIpAddress", e["ips"][0]) +
            items("privateIpAddressesSet",
                  [el("privateIpAddress", ip) + el("primary", i == 0)
                   for i, ip in enumerate(e["ips"])]) +
            items("ipv6AddressesSet", [el("ipv6Address", a) for a in e["ipv6"]]))


def instance_eni_xml(e):
    """One item of an instance's networkInterfaceSet (InstanceNetworkInterface)."""
    return (el("networkInterfaceId", e["id"]) + el("subnetId", e["subnet"]) +
            el("vpcId", VPC) + el("description", "") + el("ownerId", OWNER) +
            el("status", "in-use") + el("macAddress", e["mac"]) +
            el("sourceDestCheck", True) + group_set(e["groups"]) +
            "<attachment>" + el("attachmentId", "eni-attach-" + e["id"][4:]) +
            el("deviceIndex", e["device"]) + el("networkCardIndex", 0) +
            el("status", "attached") + el("attachTime", "2026-11-02T09:00:00.000Z") +
            el("deleteOnTermination", True) + "</attachment>" +
            eni_addresses(e) + el("interfaceType", "interface"))


def eni_xml(e):
    """One item of DescribeNetworkInterfaces' networkInterfaceSet."""
    ct = ""
    if e["conntrack"]:
        t, us, u = e["conntrack"]
        ct = ("<connectionTrackingConfiguration>" + el("tcpEstablishedTimeout", t) +
              el("udpStreamTimeout", us) + el("udpTimeout", u) +
              "</connectionTrackingConfiguration>")
    return (el("networkInterfaceId", e["id"]) + el("subnetId", e["subnet"]) +
            el("vpcId", VPC) + el("availabilityZone", "us-east-1a") +
            el("description", "") + el("ownerId", OWNER) +
            el("requesterManaged", False) + el("status", "in-use") +
            el("macAddress", e["mac"]) + eni_addresses(e) +
            el("sourceDestCheck", True) + group_set(e["groups"]) +
            "<attachment>" + el("attachmentId", "eni-attach-" + e["id"][4:]) +
            el("instanceId", e["instance"]) + el("instanceOwnerId", OWNER) +
            el("deviceIndex", e["device"]) + el("status", "attached") +
            el("attachTime", "2026-11-02T09:00:00.000Z") +
            el("deleteOnTermination", True) + "</attachment>" +
            el("interfaceType", "interface") + ct + items("tagSet", []))


def perm_xml(p):
    proto, lo, hi, v4, v6, pls, sgs = p
    return (el("ipProtocol", proto) + el("fromPort", lo) + el("toPort", hi) +
            items("groups", [el("userId", OWNER) + el("groupId", g) for g in sgs]) +
            items("ipRanges", [el("cidrIp", c) for c in v4]) +
            items("ipv6Ranges", [el("cidrIpv6", c) for c in v6]) +
            items("prefixListIds", [el("prefixListId", x) for x in pls]))


def sg_xml(gid):
    g = GROUPS[gid]
    return (el("ownerId", OWNER) + el("groupId", gid) + el("groupName", g["name"]) +
            el("groupDescription", g["desc"]) + el("vpcId", VPC) +
            items("ipPermissions", [perm_xml(p) for p in g["in"]]) +
            items("ipPermissionsEgress", [perm_xml(p) for p in g["out"]]) +
            items("tagSet", []))


def nacl_xml(aid):
    a = NACLS[aid]
    entries = []
    for num, proto, action, egress, cidr, ports in a["entries"]:
        x = (el("ruleNumber", num) + el("protocol", proto) + el("ruleAction", action) +
             el("egress", egress) +
             el("ipv6CidrBlock" if ":" in cidr else "cidrBlock", cidr))
        if ports:
            x += "<portRange>" + el("from", ports[0]) + el("to", ports[1]) + "</portRange>"
        entries.append(x)
    assoc = [el("networkAclAssociationId", "aclassoc-" + s[7:]) + el("networkAclId", aid) +
             el("subnetId", s) for s in a["subnets"]]
    return (el("networkAclId", aid) + el("vpcId", VPC) + el("default", a["default"]) +
            items("entrySet", entries) + items("associationSet", assoc) +
            items("tagSet", []) + el("ownerId", OWNER))


def response(action, body):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
            '<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>%s</%sResponse>'
            % (action, NS, body, action))


class NotFound(Exception):
    def __init__(self, code, what):
        super().__init__(code)
        self.code, self.what = code, what


# ---------------------------------------------------------------- the actions


def numbered(params, prefix):
    """InstanceId.1, InstanceId.2, ...: the values of a list parameter."""
    out, i = [], 1
    while "%s.%d" % (prefix, i) in params:
        out.append(params["%s.%d" % (prefix, i)])
        i += 1
    return out


def filters(params):
    """Filter.N.Name / Filter.N.Value.M as {name: [values]}."""
    out, i = {}, 1
    while "Filter.%d.Name" % i in params:
        out[params["Filter.%d.Name" % i]] = numbered(params, "Filter.%d.Value" % i)
        i += 1
    return out


def describe_instances(params):
    ids = numbered(params, "InstanceId")
    known = {e["instance"] for e in ENIS}
    for i in ids:
        if i not in known:
            raise NotFound("InvalidInstanceID.NotFound",
                           "The instance ID '%s' does not exist" % i)
    res = []
    for i in ids:
        enis = sorted((e for e in ENIS if e["instance"] == i), key=lambda e: e["device"])
        primary = enis[0]
        inst = (el("instanceId", i) + el("imageId", "ami-0abcdef1234567890") +
                "<instanceState>" + el("code", 16) + el("name", "running") +
                "</instanceState>" + el("privateDnsName", "ip-10-99-0-1.ec2.internal") +
                el("instanceType", "t3.micro") + el("launchTime", "2026-11-02T09:00:00.000Z") +
                el("subnetId", primary["subnet"]) + el("vpcId", VPC) +
                el("privateIpAddress", primary["ips"][0]) + el("sourceDestCheck", True) +
                group_set(primary["groups"]) + el("architecture", "x86_64") +
                el("rootDeviceType", "ebs") + el("rootDeviceName", "/dev/xvda") +
                items("networkInterfaceSet", [instance_eni_xml(e) for e in enis]))
        res.append(el("reservationId", "r-" + i[2:]) + el("ownerId", OWNER) +
                   items("groupSet", []) + items("instancesSet", [inst]))
    return items("reservationSet", res)


def describe_network_interfaces(params):
    ids = numbered(params, "NetworkInterfaceId")
    f = filters(params)
    for i in ids:
        if i not in {e["id"] for e in ENIS}:
            raise NotFound("InvalidNetworkInterfaceID.NotFound",
                           "The networkInterface ID '%s' does not exist" % i)
    out = []
    for e in ENIS:
        if ids and e["id"] not in ids:
            continue
        if "group-id" in f and not {g for g, _ in e["groups"]} & set(f["group-id"]):
            continue
        out.append(eni_xml(e))
    return items("networkInterfaceSet", out)


def describe_security_groups(params):
    ids = numbered(params, "GroupId") or list(GROUPS)
    for i in ids:
        if i not in GROUPS:
            raise NotFound("InvalidGroup.NotFound",
                           "The security group '%s' does not exist" % i)
    return items("securityGroupInfo", [sg_xml(i) for i in ids])


def describe_network_acls(params):
    f = filters(params)
    want = f.get("association.subnet-id")
    return items("networkAclSet", [nacl_xml(a) for a in NACLS
                                   if want is None or set(NACLS[a]["subnets"]) & set(want)])


def describe_managed_prefix_lists(params):
    ids = numbered(params, "PrefixListId") or list(PREFIX_LISTS)
    for i in ids:
        if i not in PREFIX_LISTS:
            raise NotFound("InvalidPrefixListID.NotFound",
                           "The prefix list ID '%s' does not exist" % i)
    return items("prefixListSet", [
        el("prefixListId", i) + el("addressFamily", PREFIX_LISTS[i]["family"]) +
        el("state", "create-complete") +
        el("prefixListArn", "arn:aws:ec2:us-east-1:%s:prefix-list/%s" % (OWNER, i)) +
        el("prefixListName", PREFIX_LISTS[i]["name"]) +
        el("maxEntries", PREFIX_LISTS[i]["max"]) + el("version", 1) +
        items("tagSet", []) + el("ownerId", OWNER) for i in ids])


def get_managed_prefix_list_entries(params):
    i = params.get("PrefixListId")
    if i not in PREFIX_LISTS:
        raise NotFound("InvalidPrefixListID.NotFound",
                       "The prefix list ID '%s' does not exist" % i)
    return items("entrySet", [el("cidr", c) + el("description", d)
                              for c, d in PREFIX_LISTS[i]["entries"]])


ACTIONS = {
    "DescribeInstances": describe_instances,
    "DescribeNetworkInterfaces": describe_network_interfaces,
    "DescribeSecurityGroups": describe_security_groups,
    "DescribeNetworkAcls": describe_network_acls,
    "DescribeManagedPrefixLists": describe_managed_prefix_lists,
    "GetManagedPrefixListEntries": get_managed_prefix_list_entries,
}


class Handler(http.server.BaseHTTPRequestHandler):
    log_file = None

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        params = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        action = params.get("Action", "")
        if Handler.log_file:
            with open(Handler.log_file, "a") as log:
                log.write("%s %s\n" % (action, " ".join(
                    "%s=%s" % kv for kv in sorted(params.items())
                    if kv[0] not in ("Action", "Version"))))
        try:
            if action not in ACTIONS:
                raise NotFound("InvalidAction",
                               "The action %s is not valid for this web service." % action)
            status, body = 200, response(action, ACTIONS[action](params))
        except NotFound as e:
            status = 400
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                    '%s%s</Error></Errors><RequestID>ea966190-f9aa-478e-9ede-'
                    'example</RequestID></Response>' % (el("Code", e.code),
                                                       el("Message", e.what)))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: ec2-endpoint.py PORT-FILE [LOG-FILE]")
    Handler.log_file = sys.argv[2] if len(sys.argv) == 3 else None
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
