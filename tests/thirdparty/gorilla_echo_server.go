// Echo server on gorilla/websocket (Debian's golang-github-gorilla-websocket-dev,
// 1.5.0) for tests/integration/test_thirdparty_servers.py, which builds it
// offline in GOPATH mode against the Debian-packaged sources:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gorilla_echo_server gorilla_echo_server.go
//	./gorilla_echo_server [-port 0] [-host 127.0.0.1]
//
// Prints `listening on ws://HOST:PORT/` once bound (port 0: ephemeral),
// echoes every text and binary message with the same type, serves until
// SIGTERM or SIGINT and then exits 0. Settings that differ from the
// library's defaults:
//
//	EnableCompression false (the default; explicit) permessage-deflate off
//	SetReadLimit(64 MiB)    the default is no limit; bounded like the others
//	CheckOrigin: accept all the harness sends no Origin anyway
//
// The handler is the usual gorilla echo loop (ReadMessage / WriteMessage),
// as in the library's examples/echo. gorilla leaves UTF-8 validation of text
// messages to the application ("Applications are responsible for ensuring
// that text messages are valid UTF-8 encoded text", conn.go); like most
// gorilla applications this one does not check, and the pinned verdicts
// record what that means on the wire.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

const maxSize = 64 << 20

var upgrader = websocket.Upgrader{
	EnableCompression: false,
	CheckOrigin:       func(r *http.Request) bool { return true },
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil) // writes its own HTTP error on failure
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(maxSize)
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			return // gorilla has already sent the close frame it wanted to send
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to bind")
	port := flag.Int("port", 0, "port (0: ephemeral)")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, fmt.Sprint(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	srv := &http.Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 10 * time.Second}
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Printf("listening on ws://%s/\n", net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port)))
	os.Stdout.Sync()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-sigs:
		// Hijacked WebSocket connections are not tracked by http.Server;
		// exiting ends them.
		srv.Close()
		os.Exit(0)
	case err := <-done:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
