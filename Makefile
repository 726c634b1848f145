# The two commands a newcomer needs:
#   go run ./cmd/vouch demo     scan the embedded demo deployment
#   make test                   install test servers, then run every test
.PHONY: test deps build demo generate vet

test: deps
	go test ./...

deps:
	./scripts/install-test-deps.sh

# vouch and its WAF engine vouch-waf (which links nuclei; vouch finds it
# next to itself).
build:
	go build -o bin/ ./cmd/vouch ./cmd/vouch-waf

# The demo with the WAF engine built, so its WAF claim is judged too.
demo: build
	bin/vouch demo

generate:
	go tool templ generate

vet:
	go vet ./...
