package main

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"os"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// shardSpec is one shard of a fleet: targets whose hash mod N is K.
type shardSpec struct {
	K, N int
}

// parseShard reads --shard K/N, or /N with K from JOB_COMPLETION_INDEX
// (what Kubernetes sets in each pod of an Indexed Job). K counts from 0 to
// N-1, as Kubernetes numbers completions. An empty value means no sharding.
func parseShard(s string, getenv func(string) string) (*shardSpec, error) {
	if s == "" {
		return nil, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	if !ok {
		return nil, usageErr("--shard %q: want K/N (K from 0 to N-1) or /N with K from $JOB_COMPLETION_INDEX", s)
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return nil, usageErr("--shard %q: N must be a whole number of shards, 1 or more", s)
	}
	from := "--shard"
	if ks == "" {
		ks = getenv("JOB_COMPLETION_INDEX")
		from = "$JOB_COMPLETION_INDEX"
		if ks == "" {
			return nil, usageErr("--shard %q takes K from $JOB_COMPLETION_INDEX, which is not set (it is set in the pods of a Kubernetes Job with completionMode: Indexed; elsewhere give --shard K/N)", s)
		}
	}
	k, err := strconv.Atoi(ks)
	if err != nil || k < 0 {
		return nil, usageErr("--shard %q: K %q from %s is not a whole number from 0 to %d", s, ks, from, n-1)
	}
	if k >= n {
		return nil, usageErr("--shard %q: K=%d (from %s) must be below N=%d (shards count from 0, as Kubernetes completion indexes do)", s, k, from, n)
	}
	return &shardSpec{K: k, N: n}, nil
}

// shardOf is the shard a target belongs to among n: FNV-1a of its kind
// and lowercased address, so it depends on the target alone and a target
// stays in its shard when the list grows.
func shardOf(kind, address string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.TrimSpace(address))))
	return int(h.Sum64() % uint64(n))
}

// filter keeps in scope only the web origins and mail domains of this
// shard. A shard may end up with no target: the scan then writes a
// report with every control inconclusive or not applicable, which is
// still a valid shard output for merge.
func (s *shardSpec) filter(decl *posture.Declaration) {
	if s == nil {
		return
	}
	keep := func(kind string, in []string) []string {
		var out []string
		for _, t := range in {
			if shardOf(kind, t, s.N) == s.K {
				out = append(out, t)
			}
		}
		return out
	}
	decl.Scope.Web = keep("web", decl.Scope.Web)
	decl.Scope.Mail = keep("mail", decl.Scope.Mail)
}

func (a *app) shard() (*shardSpec, error) {
	return parseShard(a.v.GetString("shard"), os.Getenv)
}

// fileSHA256 is the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
