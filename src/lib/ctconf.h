/*
 * --conntrack: AWS's connection-tracking settings of a network interface
 * (ConnectionTrackingConfiguration, doc/aws-semantics.md 3.6), typed on the
 * command line or read from `aws ec2 describe-network-interfaces` output.
 * Reentrant, no globals: the engine re-reads them on reload.
 */
#ifndef VPCFW_CTCONF_H
#define VPCFW_CTCONF_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "flow.h"

struct ctconf {
	uint32_t tcp_established_s;	/* TcpEstablishedTimeout: 60 to 432000, default 432000 */
	uint32_t udp_stream_s;		/* UdpStreamTimeout: 60 to 180, default 180 */
	uint32_t udp_s;			/* UdpTimeout: 30 to 60, default 30 */
};

/* AWS's established default on Nitro v6 instance types (`nitro-v6`). */
#define CTCONF_NITRO_V6_TCP_ESTABLISHED_S	350

/* AWS's defaults: 432000, 180, 30. */
void ctconf_default(struct ctconf *c);

/*
 * Apply one --conntrack argument to *c: a comma-separated list of
 * `tcp-established=S`, `udp-stream=S`, `udp=S` and `nitro-v6` (the 350 s
 * established default of Nitro v6), applied in order; or, when its first
 * word is none of these, the name of a JSON file of `aws ec2
 * describe-network-interfaces` output (ctconf_load_buffer). Errors go to d:
 * about the text under the file name "--conntrack", naming the range of a
 * value out of it; about a file with its name (and line:col for its JSON
 * syntax). 0, or -1 with errno (EINVAL, or the file's read error); *c is
 * changed only on success.
 */
int ctconf_parse(struct ctconf *c, const char *arg, struct diag *d);

/*
 * The ConnectionTrackingConfiguration of NetworkInterfaces[] in buf (name
 * for the messages): its TcpEstablishedTimeout, UdpStreamTimeout and
 * UdpTimeout, each within AWS's range; a field left out keeps *c's value.
 * Interfaces that give one must agree (one table serves the host). An
 * interface without one keeps *c. 0, or -1 with errno EINVAL (ENOMEM) and
 * every problem in d; *c is changed only on success.
 */
int ctconf_load_buffer(struct ctconf *c, const char *name, const char *buf,
		       size_t len, struct diag *d);

/* Longest interface name of `--conntrack IFACE=...`, with its NUL (IF_NAMESIZE). */
#define CTCONF_IFNAME_MAX 16

/*
 * Is arg one interface's settings, "IFACE=SETTINGS|FILE" (AWS keeps them per
 * ENI)? 1 with the name in ifname and *spec at what follows the '='; 0 when
 * arg is the host's: no '=', a first word that is a setting
 * (tcp-established=...), or a '/' before the '=' (a file, ./a=b.json).
 * -1 with errno EINVAL and why in err: an empty or too long name, or
 * nothing after the '='.
 */
int ctconf_iface_split(const char *arg, char ifname[CTCONF_IFNAME_MAX], const char **spec,
		       char *err, size_t errlen);

/* Interfaces of one describe-network-interfaces file matched to local ones, at most. */
#define CTCONF_NICS_MAX 16
#define CTCONF_MAC_LEN 18	/* "aa:bb:cc:dd:ee:ff" and its NUL */
#define CTCONF_ID_MAX 32

/*
 * The local interfaces a describe-network-interfaces file may name, by
 * MacAddress (AWS identifies an ENI on the instance so), and what the
 * file says of those it names.
 */
struct ctconf_local {
	const char (*macs)[CTCONF_MAC_LEN];	/* in: lowercase, the local interfaces' */
	size_t n_macs;
	struct ctconf_nic {
		size_t mac;			/* index into macs */
		char id[CTCONF_ID_MAX];		/* NetworkInterfaceId, "" when none */
		struct ctconf ct;		/* its settings (fields left out: the host's) */
	} nic[CTCONF_NICS_MAX];			/* out */
	size_t n;
};

/*
 * ctconf_parse(), where a file's NetworkInterfaces[] entry whose
 * MacAddress (any case) is one of l's is that interface's: it goes to
 * l->nic (in file order; a MAC named twice is an error) and takes no part
 * in the host's settings, which the other entries give as before. l may
 * be NULL (ctconf_parse). l->n is set on success.
 */
int ctconf_parse_local(struct ctconf *c, const char *arg, struct ctconf_local *l,
		       struct diag *d);

/* Set p's tcp_established_s, udp_stream_s and udp_s from c. */
void ctconf_to_flow_params(const struct ctconf *c, struct flow_params *p);

#endif
