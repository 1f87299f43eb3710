// netdns_cgo.go: the second main-package file tests/oracle/run.py adds next to tests/oracle-src/lookup.go for
// the "//go:debug netdns=cgo" variant (Go 1.21+). The go command records the directive in the build info as
// "build DefaultGODEBUG=...netdns=cgo..." and the runtime uses it as the default GODEBUG; GODEBUG in the
// environment still wins, key by key.

//go:debug netdns=cgo

package main
