// Peer of tests/bench/hooks_bench.cpp's libpq select1 workload: 1000 x `SELECT 1` over 50
// connections with Go's database/sql and lib/pq (Debian golang-github-lib-pq-dev), one goroutine
// per connection (GOMAXPROCS left at the machine's). Connects to SPINDLE_TEST_PG, a libpq conninfo.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	_ "github.com/lib/pq"
)

func main() {
	scale := flag.Float64("scale", 1.0, "fraction of the full workload")
	flag.Parse()
	conninfo := os.Getenv("SPINDLE_TEST_PG")
	if conninfo == "" {
		fmt.Fprintln(os.Stderr, "SPINDLE_TEST_PG is not set: run through tests/servers/with_server.sh postgres")
		os.Exit(1)
	}
	connections := int(50 * *scale)
	if connections < 1 {
		connections = 1
	}
	each := int(1000**scale) / connections
	if each < 1 {
		each = 1
	}
	db, err := sql.Open("postgres", conninfo+" sslmode=disable")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(connections)
	db.SetMaxIdleConns(connections)
	// Open every connection before the clock starts, as the others do.
	var held []*sql.Conn
	for i := 0; i < connections; i++ {
		conn, err := db.Conn(context.Background())
		if err != nil {
			panic(err)
		}
		held = append(held, conn)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, conn := range held {
		wg.Add(1)
		go func(conn *sql.Conn) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var one int
				if err := conn.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
					panic(fmt.Sprint("SELECT 1: ", err))
				}
			}
		}(conn)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	for _, conn := range held {
		conn.Close()
	}
	fmt.Printf("metric=go_pq_select1_total value=%.3f unit=ms\n", elapsed*1e3)
	fmt.Printf("metric=go_pq_select1_per_query value=%.3f unit=us\n", elapsed*1e6/float64(connections*each))
}
