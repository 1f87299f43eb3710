// Command lookup resolves each NAME with Go's net.LookupHost and prints one line per name:
//
//	NAME ADDR [ADDR...]
//
// A name that fails is reported on stderr as "lookup: NAME: ERROR" and makes the exit status 1
// (2 for a usage error). Run it with GODEBUG=netdns=2 to see the order Go chooses, e.g.
//
//	go package net: hostLookupOrder(myhost.test) = dns,files
//
// It is nsslint's ground-truth probe: the seed-incident example image ships it built with Go 1.15,
// and the differential tests build it with each toolchain from tests/fixtures/go-toolchain.sh.
// Keep it buildable in GOPATH mode (no go.mod) by Go 1.13 and later: standard library only.
// examples/seed-incident/lookup.go is an identical copy (build.sh checks).
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lookup NAME...")
		os.Exit(2)
	}
	status := 0
	for _, name := range os.Args[1:] {
		addrs, err := net.LookupHost(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lookup: %s: %v\n", name, err)
			status = 1
			continue
		}
		fmt.Printf("%s %s\n", name, strings.Join(addrs, " "))
	}
	os.Exit(status)
}
