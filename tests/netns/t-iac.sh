#!/bin/bash
#
# t-iac.sh - the engine runs on a Terraform state (`terraform show -json`)
# and on a CloudFormation YAML template with --param, with real traffic,
# and each keeps its tool's egress semantics: Terraform removed AWS's
# default egress rule (the host opens nothing), a template without
# SecurityGroupEgress keeps EC2's two (the host opens connections out).
#
#   peer 10.99.0.2 / fd99::2  --TCP 22/80, ping-->  host 10.99.0.1 / fd99::1
#                             <--TCP 8080--          vpcfw on the state / template
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 22
serve_tcp "$HOST_NS" 80
serve_tcp "$PEER_NS" 8080

# A state as `terraform show -json` prints it (trimmed to what matters): a
# web group with HTTP from the peer and no egress block, an SSH rule for an
# office elsewhere, a NACL with HTTP in and the replies out, and a NACL rule
# resource for the IPv6 replies.
cat >"$TMPD/web.tfstate.json" <<JSON
{"format_version":"1.0","terraform_version":"1.5.7","values":{"root_module":{"resources":[
 {"address":"aws_security_group.web","mode":"managed","type":"aws_security_group","name":"web",
  "values":{"id":"sg-0123456789abcdef0","name":"web","egress":[],"ingress":[
   {"protocol":"tcp","from_port":80,"to_port":80,"cidr_blocks":["$P4/32"],"ipv6_cidr_blocks":["$P6/128"],
    "prefix_list_ids":[],"security_groups":[],"self":false,"description":"HTTP from the peer"}]}},
 {"address":"aws_vpc_security_group_ingress_rule.ssh","mode":"managed","type":"aws_vpc_security_group_ingress_rule","name":"ssh",
  "values":{"security_group_id":"sg-0123456789abcdef0","security_group_rule_id":"sgr-0aa11bb22cc33dd44",
   "ip_protocol":"tcp","from_port":22,"to_port":22,"cidr_ipv4":"203.0.113.0/24"}}],
 "child_modules":[{"address":"module.net","resources":[
 {"address":"module.net.aws_network_acl.web","mode":"managed","type":"aws_network_acl","name":"web",
  "values":{"id":"acl-0a1b2c3d4e5f6a7b8","ingress":[
   {"rule_no":100,"action":"allow","protocol":"6","from_port":80,"to_port":80,"cidr_block":"0.0.0.0/0","ipv6_cidr_block":"","icmp_type":0,"icmp_code":0},
   {"rule_no":101,"action":"allow","protocol":"6","from_port":80,"to_port":80,"cidr_block":"","ipv6_cidr_block":"::/0","icmp_type":0,"icmp_code":0},
   {"rule_no":110,"action":"allow","protocol":"6","from_port":22,"to_port":22,"cidr_block":"0.0.0.0/0","ipv6_cidr_block":"","icmp_type":0,"icmp_code":0},
   {"rule_no":111,"action":"allow","protocol":"6","from_port":22,"to_port":22,"cidr_block":"","ipv6_cidr_block":"::/0","icmp_type":0,"icmp_code":0}],
  "egress":[
   {"rule_no":100,"action":"allow","protocol":"6","from_port":1024,"to_port":65535,"cidr_block":"0.0.0.0/0","ipv6_cidr_block":"","icmp_type":0,"icmp_code":0}]}},
 {"address":"module.net.aws_network_acl_rule.out6","mode":"managed","type":"aws_network_acl_rule","name":"out6",
  "values":{"network_acl_id":"acl-0a1b2c3d4e5f6a7b8","rule_number":101,"egress":true,"protocol":"tcp",
   "rule_action":"allow","ipv6_cidr_block":"::/0","from_port":1024,"to_port":65535}}]}]}}}
JSON

say "Terraform state: check, then run"
check "check accepts the state" quiet "$VPCFW" check "$TMPD/web.tfstate.json"
engine_start --nacl "$TMPD/web.tfstate.json" --sg "$TMPD/web.tfstate.json"
steer on
for a in "$H4" "$H6"; do
	tcp_ok "IPv$(fam "$a"): HTTP from the peer (NACL 100/101 in, replies out by 100/101)" "$PEER_NS" "$a" 80
	tcp_fails "IPv$(fam "$a"): SSH passes the NACL but not the group (office only)" "$PEER_NS" "$a" 22
	ping_fails "IPv$(fam "$a"): ping (no NACL rule)" "$PEER_NS" "$a"
done
tcp_fails "IPv4: no egress block, no egress rule: the host opens nothing" "$HOST_NS" "$P4" 8080
engine_stop

# The same web tier as a template: the peer's addresses are parameters, one
# with a Default and one given with --param; the group has no
# SecurityGroupEgress, so EC2's allow-all egress rules (IPv4, IPv6) stay.
cat >"$TMPD/web.yaml" <<YAML
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  PeerCidr:
    Type: String
  PeerCidr6:
    Type: String
    Default: $P6/128
Resources:
  WebSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: !Ref PeerCidr}
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIpv6: !Ref PeerCidr6}
  Acl:
    Type: AWS::EC2::NetworkAcl
  InAll:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
  OutAll:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: allow, Egress: true, CidrBlock: 0.0.0.0/0}
  InHttp6:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 101, Protocol: 6, RuleAction: allow, Ipv6CidrBlock: "::/0", PortRange: {From: 80, To: 80}}
  InReplies6:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 102, Protocol: 6, RuleAction: allow, Ipv6CidrBlock: "::/0", PortRange: {From: 1024, To: 65535}}
  Out6:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 101, Protocol: 6, RuleAction: allow, Egress: true, Ipv6CidrBlock: "::/0", PortRange: {From: 1024, To: 65535}}
YAML

say "CloudFormation YAML: check without and with --param, then run"
"$VPCFW" check "$TMPD/web.yaml" >/dev/null 2>"$TMPD/check.err"
check "check without --param names the parameter at its line" \
	grep -q "web.yaml:14:63: error: WebSG.SecurityGroupIngress\[0\]: Ref PeerCidr: the parameter has no Default; give --param PeerCidr=VALUE" "$TMPD/check.err"
check "check accepts it with --param" quiet "$VPCFW" check --param "PeerCidr=$P4/32" "$TMPD/web.yaml"
engine_start --nacl "$TMPD/web.yaml" --sg "$TMPD/web.yaml" --param "PeerCidr=$P4/32"
for a in "$H4" "$H6"; do
	tcp_ok "IPv$(fam "$a"): HTTP from the peer" "$PEER_NS" "$a" 80
	tcp_fails "IPv$(fam "$a"): SSH (no group rule)" "$PEER_NS" "$a" 22
done
tcp_ok "IPv4: EC2's default egress rule stays: the host opens connections out" "$HOST_NS" "$P4" 8080
tcp_ok "IPv6: and its IPv6 twin" "$HOST_NS" "$P6" 8080
engine_stop

finish
