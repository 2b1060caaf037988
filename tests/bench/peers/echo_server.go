// The Go peer of the echo benchmark (tests/bench/echo/run_echo.py runs it with GOMAXPROCS=1): a
// goroutine per connection copying what it reads back with a 64 KiB buffer, as io.CopyBuffer would.
// Go's netpoller parks the goroutine on EAGAIN, the same shape as spindle's fiber per connection.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Runs until
// killed.
package main

import (
	"fmt"
	"net"
	"os"
)

func echo(conn net.Conn) {
	defer conn.Close()
	buffer := make([]byte, 64*1024)
	for {
		n, err := conn.Read(buffer)
		if n > 0 {
			if _, werr := conn.Write(buffer[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo_server:", err)
		os.Exit(1)
	}
	fmt.Printf("port=%d\n", listener.Addr().(*net.TCPAddr).Port)
	for {
		conn, err := listener.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo_server: accept:", err)
			os.Exit(1)
		}
		go echo(conn) // Go sets TCP_NODELAY on every TCP connection by default
	}
}
