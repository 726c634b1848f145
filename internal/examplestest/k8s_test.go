package examplestest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// The CronJobs of examples/k8s-cronjob.yaml decode strictly (no unknown
// or misspelt field) into batch/v1 CronJob, and the scan's job template
// is an Indexed Job whose pods each take their shard from
// JOB_COMPLETION_INDEX, followed by a merge of every shard.
func TestK8sCronJobExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "k8s-cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]batchv1.CronJob{}
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict(doc, &cj); err != nil {
			t.Fatalf("not a strict batch/v1 CronJob: %v", err)
		}
		if cj.APIVersion != "batch/v1" || cj.Kind != "CronJob" {
			t.Errorf("%s: apiVersion %q kind %q", cj.Name, cj.APIVersion, cj.Kind)
		}
		// The job template alone is a Job spec too.
		js, err := yaml.Marshal(batchv1.Job{Spec: cj.Spec.JobTemplate.Spec})
		if err != nil {
			t.Fatal(err)
		}
		var job batchv1.Job
		if err := yaml.UnmarshalStrict(js, &job); err != nil {
			t.Errorf("%s: job template is no strict Job: %v", cj.Name, err)
		}
		byName[cj.Name] = cj
	}
	scan, ok := byName["vouch-scan"]
	if !ok {
		t.Fatalf("no vouch-scan CronJob in %v", byName)
	}
	js := scan.Spec.JobTemplate.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("scan job completionMode %v, want Indexed", js.CompletionMode)
	}
	if js.Completions == nil || js.Parallelism == nil || *js.Parallelism < 1 || *js.Parallelism > *js.Completions {
		t.Fatalf("scan job completions %v parallelism %v", js.Completions, js.Parallelism)
	}
	n := *js.Completions
	cmd := strings.Join(append(js.Template.Spec.Containers[0].Command, js.Template.Spec.Containers[0].Args...), " ")
	for _, want := range []string{"vouch scan", "--shard /" + itoa(n), "$(JOB_COMPLETION_INDEX)"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("scan command %q lacks %q", cmd, want)
		}
	}
	merge, ok := byName["vouch-merge"]
	if !ok {
		t.Fatal("no vouch-merge CronJob")
	}
	mc := merge.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	mcmd := strings.Join(append(mc.Command, mc.Args...), " ")
	if !strings.Contains(mcmd, "vouch merge") {
		t.Errorf("merge command %q", mcmd)
	}
	for k := int32(0); k < n; k++ {
		if !strings.Contains(mcmd+" ", "/out/shard-"+itoa(k)+" ") {
			t.Errorf("merge command %q does not merge shard %d of %d", mcmd, k, n)
		}
	}
}

func itoa(i int32) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}
