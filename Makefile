# The two commands a newcomer needs:
#   go run ./cmd/vouch demo     scan the embedded demo deployment
#   make test                   install test servers, then run every test
.PHONY: test deps build generate vet

test: deps
	go test ./...

deps:
	./scripts/install-test-deps.sh

build:
	go build -o vouch ./cmd/vouch

generate:
	go tool templ generate

vet:
	go vet ./...
