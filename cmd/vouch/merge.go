package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
)

var flagMaxSkew = config.Flag{Name: "max-skew", Key: "max_skew", Default: 6 * time.Hour,
	Usage: "refuse shards whose scans started further apart than this"}

func (a *app) mergeCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "merge DIR...",
		Short: "Combine the outputs of vouch scan --shard K/N into one report, site and evidence bundle",
		Long: `Combine shard outputs (each DIR written by 'vouch scan --shard K/N -o DIR')
into one report, judged again from the merged observations against the
trust.yaml given by -c, and write OUT exactly as vouch scan does.

Before anything is written, every shard is checked: its evidence bundle
verifies against its manifest (vouch evidence verify); its snapshot names
a shard; every shard ran under the same trust.yaml as -c (SHA-256 of the
file's bytes) and the same N; each K from 0 to N-1 is there exactly once;
and the scans started at most --max-skew apart. A refusal names the shard.

The merged evidence bundle is sealed with its own manifest (signed with
--sign-key); each shard's verified bundle is copied as-is, with its own
manifest, to OUT/shards/<K>/.

Exit codes as vouch scan: 0, 1 (contradicted at or above --fail-on),
2 (--fail-on-inconclusive), 3 bad usage or shards that do not fit,
4 outputs could not be written.`,
		Example: `  vouch merge -c trust.yaml -o public out/shard-0 out/shard-1 out/shard-2
  vouch merge -c trust.yaml -o public --sign-key vouch.key out/shard-*`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			failOn, err := a.failOn()
			if err != nil {
				return err
			}
			cfg := a.v.GetString("config")
			decl, err := a.loadDeclaration(cfg)
			if err != nil {
				return err
			}
			digest, err := fileSHA256(cfg)
			if err != nil {
				return usageErr("%v", err)
			}
			out, err := a.outputOptions(a.v.GetString("output"))
			if err != nil {
				return err
			}
			snap, bundles, err := loadShards(dirs, digest, a.v.GetDuration("max_skew"))
			if err != nil {
				return err
			}
			rep := checks.Evaluate(decl, snap, checks.Options{Now: a.now().UTC(), Tool: tool()})
			paths, err := a.writeOutputs(out, &result{decl: decl, snap: snap, report: &rep})
			if err != nil {
				return err
			}
			for k, b := range bundles {
				dst := filepath.Join(out.dir, "shards", fmt.Sprint(k))
				if err := os.RemoveAll(dst); err != nil {
					return scanErr("shards: %v", err)
				}
				if err := os.CopyFS(dst, os.DirFS(b)); err != nil {
					return scanErr("shards: copy %s: %v", b, err)
				}
			}
			return a.finish(&rep, failOn, paths)
		},
	}, flagConfig, flagOutput, flagFailOn, flagFailOnInconclusive, flagMaxSkew, flagBaseURL, flagZip, flagSignKey)
}

// loadShards reads and checks the shard outputs, and merges their
// snapshots; bundles[K] is shard K's verified evidence bundle.
func loadShards(dirs []string, digest string, maxSkew time.Duration) (*posture.Snapshot, []string, error) {
	type shard struct {
		dir, bundle string
		snap        *posture.Snapshot
	}
	var shards []shard
	byK := map[int]string{}
	n := 0
	for _, dir := range dirs {
		head, err := readSnapshot(filepath.Join(dir, "snapshot.json"))
		if err != nil {
			return nil, nil, usageErr("%s: %v", dir, err)
		}
		bundle := filepath.Join(dir, "evidence", head.ID)
		if err := report.VerifyEvidence(bundle); err != nil {
			return nil, nil, usageErr("%s: evidence does not verify: %v", dir, err)
		}
		// The sealed copy is what is merged.
		s, err := readSnapshot(filepath.Join(bundle, "snapshot.json"))
		if err != nil {
			return nil, nil, usageErr("%s: %v", dir, err)
		}
		switch {
		case s.Shard == nil:
			return nil, nil, usageErr("%s: not a shard (scanned without --shard)", dir)
		case s.Shard.N < 1 || s.Shard.K < 0 || s.Shard.K >= s.Shard.N:
			return nil, nil, usageErr("%s: records shard %d of %d, which no --shard gives (K from 0 to N-1)", dir, s.Shard.K, s.Shard.N)
		case s.Shard.DeclarationSHA256 != digest:
			return nil, nil, usageErr("%s: scanned under a different trust.yaml (sha256 %s, -c has %s)", dir, s.Shard.DeclarationSHA256, digest)
		case n != 0 && s.Shard.N != n:
			return nil, nil, usageErr("%s: shard %d of %d, but %s is of %d", dir, s.Shard.K, s.Shard.N, shards[0].dir, n)
		}
		n = s.Shard.N
		if prev, dup := byK[s.Shard.K]; dup {
			return nil, nil, usageErr("shard %d/%d twice: %s and %s", s.Shard.K, n, prev, dir)
		}
		byK[s.Shard.K] = dir
		shards = append(shards, shard{dir: dir, bundle: bundle, snap: s})
	}
	var missing []string
	for k := 0; k < n; k++ {
		if _, ok := byK[k]; !ok {
			missing = append(missing, fmt.Sprint(k))
		}
	}
	if len(missing) > 0 {
		return nil, nil, usageErr("shards of %d: missing K %s", n, strings.Join(missing, ", "))
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].snap.Shard.K < shards[j].snap.Shard.K })
	first, last := shards[0], shards[0]
	for _, s := range shards {
		if s.snap.StartedAt.Before(first.snap.StartedAt) {
			first = s
		}
		if s.snap.StartedAt.After(last.snap.StartedAt) {
			last = s
		}
	}
	if gap := last.snap.StartedAt.Sub(first.snap.StartedAt); gap > maxSkew {
		return nil, nil, usageErr("shards %s and %s started %s apart, more than --max-skew %s", first.dir, last.dir, gap, maxSkew)
	}
	merged := *shards[0].snap
	merged.TLS, merged.HTTP, merged.DNS, merged.WAF = nil, nil, nil, nil
	merged.Scope, merged.Shard = nil, nil
	merged.ID = newScanID(first.snap.StartedAt)
	merged.StartedAt = first.snap.StartedAt
	bundles := make([]string, n)
	for _, s := range shards {
		merged.Merge(*s.snap)
		merged.Scope = append(merged.Scope, s.snap.Scope...)
		if s.snap.FinishedAt.After(merged.FinishedAt) {
			merged.FinishedAt = s.snap.FinishedAt
		}
		bundles[s.snap.Shard.K] = s.bundle
	}
	merged.Sort()
	return &merged, bundles, nil
}
