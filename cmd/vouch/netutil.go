package main

import (
	"context"
	"io"
	"log"
	"net"
	"time"
)

// resolverVia returns a resolver that sends every question to addr.
func resolverVia(addr string, timeout time.Duration) *net.Resolver {
	d := &net.Dialer{Timeout: timeout}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
