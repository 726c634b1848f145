// Package examplestest holds tests of the files in examples/: the
// Kubernetes manifests are decoded strictly into the real k8s.io/api
// types. It has no code of its own, so nothing here reaches the vouch
// binary.
package examplestest
