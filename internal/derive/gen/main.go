// Command gen writes the files derived from the registry of checks (see
// package derive) under the repository root given as its argument.
package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/vouchdev/vouch/internal/derive"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen REPO_ROOT")
		os.Exit(2)
	}
	root := os.Args[1]
	files, err := derive.Files(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(root, rel)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, files[rel], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		if err := os.Rename(tmp, path); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
