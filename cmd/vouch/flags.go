package main

import (
	"strings"
	"time"

	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/report"
	"github.com/vouchdev/vouch/scanners"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Every flag vouch has, declared once. Commands pick the ones they take;
// each is bound to the one viper instance and to its VOUCH_* variable.
var (
	flagConfig = config.Flag{Name: "config", Shorthand: "c", Key: "config", Default: "trust.yaml",
		Usage: "the controls file (trust.yaml) declaring scope and claims"}
	flagTargets = config.Flag{Name: "targets", Key: "targets", Default: "",
		Usage: "file of more targets, one https:// origin or mail domain a line (# comments; - reads standard input), added to trust.yaml's scope; controls without targets: cover them too"}
	flagShard = config.Flag{Name: "shard", Key: "shard", Default: "",
		Usage: "scan only shard K of N (K/N, K from 0 to N-1) of the targets, chosen by a hash of each target so it keeps its shard when the list grows; /N takes K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job)"}
	flagOutput = config.Flag{Name: "output", Shorthand: "o", Key: "output", Default: "vouch-out",
		Usage: "directory for report.json, report.html, site/ and evidence/"}
	flagResolver = config.Flag{Name: "resolver", Key: "resolver", Default: "",
		Usage: "DNS server HOST:PORT for every lookup vouch makes (default: the first nameserver in /etc/resolv.conf)"}
	flagCAFile = config.Flag{Name: "ca-file", Key: "ca_file", Default: "",
		Usage: "PEM file of extra CA certificates to trust (a private CA), added to the system roots"}
	flagTimeout = config.Flag{Name: "timeout", Key: "timeout", Default: 5 * time.Second,
		Usage: "timeout of one connection or DNS query (counted from when it may start under --per-host)"}
	flagPerHost = config.Flag{Name: "per-host", Key: "per_host", Default: netlimit.DefaultPerHost,
		Usage: "most connections open to one host at once, summed over every scanner (politeness: the target never sees more)"}
	flagMaxInflight = config.Flag{Name: "max-inflight", Key: "max_inflight", Default: netlimit.DefaultGlobal,
		Usage: "most connections open at once over all hosts together (a fleet scan keeps this many going; each host still sees at most --per-host)"}
	flagHostBudget = config.Flag{Name: "host-budget", Key: "host_budget", Default: netlimit.DefaultBudget,
		Usage: "most connections one target is sent in one scan, summed over its scanners (targets sharing an address each have their own); past it the observation is inconclusive (0: no limit)"}
	flagResolverInflight = config.Flag{Name: "resolver-inflight", Key: "resolver_inflight", Default: 64,
		Usage: "most DNS questions in flight to the resolver at once, over every mail domain (the resolver is yours, not a target: --per-host does not bound it)"}
	flagTargetTimeout = config.Flag{Name: "target-timeout", Key: "target_timeout", Default: 60 * time.Second,
		Usage: "longest time one scanner may spend on one target before it is reported inconclusive"}
	flagFailOn = config.Flag{Name: "fail-on", Key: "fail_on", Default: "high",
		Usage: "exit 1 when a contradicted control has this severity or higher: info, low, medium, high, critical, or none"}
	flagFailOnInconclusive = config.Flag{Name: "fail-on-inconclusive", Key: "fail_on_inconclusive", Default: false,
		Usage: "exit 2 when a control at or above --fail-on is inconclusive (could not be observed) and none is contradicted"}
	flagJSON = config.Flag{Name: "json", Key: "json", Default: false,
		Usage: "print the snapshot as JSON instead of a table"}
	flagSnapshot = config.Flag{Name: "snapshot", Key: "snapshot", Default: "",
		Usage: "a recorded snapshot (snapshot.json from an evidence bundle, or vouch probe --json)"}
	flagFrom = config.Flag{Name: "from", Key: "from", Default: "",
		Usage: "a report.json written by vouch scan"}
	flagFormat = config.Flag{Name: "format", Shorthand: "f", Key: "format", Default: "table",
		Usage: "output format: " + strings.Join(report.FormatNames(), ", ")}
	flagSiteOut = config.Flag{Name: "output", Shorthand: "o", Key: "site_output", Default: "site",
		Usage: "directory to write the static trust center to (replaced atomically)"}
	flagBaseURL = config.Flag{Name: "base-url", Key: "base_url", Default: "",
		Usage: "public URL the trust center will be served from (for canonical links and security.txt)"}
	flagServe = config.Flag{Name: "serve", Key: "serve", Default: false,
		Usage: "keep serving the demo site and deployment on 127.0.0.1 until interrupted"}
	flagConcurrency = config.Flag{Name: "concurrency", Key: "concurrency", Default: scanners.DefaultConcurrency,
		Usage: "how many (scanner, target) pairs run at once (connections to one host are bounded by --per-host)"}
	flagNoColor = config.Flag{Name: "no-color", Key: "no_color", Default: false,
		Usage: "never colour the table (colour is used only on a terminal; NO_COLOR is honoured too)"}
	flagQuiet = config.Flag{Name: "quiet", Shorthand: "q", Key: "quiet", Default: false,
		Usage: "no progress lines on stderr"}
	flagWAFEngine = config.Flag{Name: "waf-engine", Key: "waf_engine", Default: "",
		Usage: "path of the vouch-waf engine binary (default: next to vouch, then $PATH)"}
	flagSMTPPort = config.Flag{Name: "smtp-port", Key: "smtp_port", Default: 25,
		Usage: "TCP port tls.starttls connects to on the MX hosts (25; set another only to test a server that listens elsewhere)"}
	flagActive = config.Flag{Name: "active", Key: "active", Default: true,
		Usage: "send a handful of attack-shaped requests to detect a WAF (false: passive fingerprints only)"}
)

// globalFlags are taken by every command.
var globalFlags = []config.Flag{flagResolver, flagCAFile, flagTimeout, flagPerHost, flagMaxInflight, flagHostBudget, flagResolverInflight, flagNoColor, flagQuiet}

var flagTemplates = config.Flag{Name: "template", Key: "templates", Default: []string{},
	Usage: "a nuclei template file to run against the target as well (repeatable); see docs/waf.md"}

var flagSelectors = config.Flag{Name: "selectors", Key: "selectors", Default: []string{},
	Usage: "DKIM selectors to look up besides the common ones"}
