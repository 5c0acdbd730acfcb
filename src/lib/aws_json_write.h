/*
 * Export to AWS CLI JSON: a ruleset written back exactly as
 * `aws ec2 describe-network-acls` and `aws ec2 describe-security-groups`
 * print it (AWS CLI v2, JSON output, indent 4), so the result is loadable
 * by AWS tooling and by aws_json_load_*: importing the text gives the
 * same entries (for references, with the same --map).
 */
#ifndef VPCFW_AWS_JSON_WRITE_H
#define VPCFW_AWS_JSON_WRITE_H

#include <stdio.h>
#include "ruleset.h"

/*
 * {"NetworkAcls": [one ACL]}: the entries, egress first, each direction by
 * ascending number and ending with the '*' entries 32767 (IPv4) and 32768
 * (IPv6), as AWS prints them. Fields the model does not hold are written
 * empty: Associations [], IsDefault false, Tags [].
 * Returns 0, or -1 with errno: EINVAL when rs holds no network ACL,
 * EILSEQ when a string (id, name, description) is not UTF-8, which JSON
 * text must be (nothing is written then), ENOMEM, or the error of the
 * write (EIO when the stream gives none).
 */
int aws_json_write_nacl(const struct ruleset *rs, FILE *out);

/*
 * {"SecurityGroups": [...]}: every group in order. Rules with the same
 * direction, protocol and ports become one permission, with one IpRanges /
 * Ipv6Ranges item per CIDR; rules mapped from an sg-/pl- reference (ref)
 * are written back once per reference as UserIdGroupPairs / PrefixListIds.
 * The model has no group description: Description repeats the GroupName
 * (the id when the group has no name); GroupName is left out when the
 * group has none. Returns 0, or -1 with errno as aws_json_write_nacl.
 */
int aws_json_write_sg(const struct ruleset *rs, FILE *out);

#endif
