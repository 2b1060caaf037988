// fibers_peer: Go-runtime peer for spindle's fiber benchmarks.
//
// Each workload mirrors one spindle benchmark so a script can compare the
// figures as ratios. Only `metric=NAME value=NUMBER unit=UNIT` lines go to
// stdout; anything else goes to stderr.
//
//	yield      - two tasks ping-pong through the scheduler (runtime.Gosched),
//	             one thread: cost of a single yield/context switch.
//	spawn      - create and run to completion 1M trivial tasks, one thread;
//	             run twice so the second ("warm") run reuses freed memory.
//	parked     - 1M tasks blocked on one release signal: resident memory
//	             per parked task.
//	timerstorm - 100k tasks sleeping random [0,100) ms on one thread: total
//	             wall time and how late the wake-ups are.
//	timerload  - 10k tasks sleeping random [0,100) ms while 100 busy tasks
//	             each compute 20 us between yields, one thread: how late
//	             timers fire under steady CPU load.
//	post       - token round trip between two tasks pinned to distinct OS
//	             threads: cost of a cross-thread wake-up.
//
// Build: GO111MODULE=off go build -o /tmp/fibers_peer fibers_peer.go
// Usage: fibers_peer [-workload yield|spawn|parked|timerstorm|timerload|post|all] [-scale F]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var scale float64

// scaled returns base*scale, at least 1, so smoke runs still do some work.
func scaled(base int) int {
	n := int(math.Round(float64(base) * scale))
	if n < 1 {
		n = 1
	}
	return n
}

func report(name string, value float64, unit string) {
	fmt.Printf("metric=%s value=%s unit=%s\n", name, strconv.FormatFloat(value, 'f', 3, 64), unit)
}

// rssBytes reads VmRSS from /proc/self/status.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	fmt.Fprintln(os.Stderr, "rss: VmRSS not found")
	os.Exit(1)
	return 0
}

func yieldBench() {
	runtime.GOMAXPROCS(1)
	n := scaled(10_000_000)
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for g := 0; g < 2; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	report("yield_pingpong", float64(time.Since(start).Nanoseconds())/float64(2*n), "ns")
}

func spawnOnce(m int) float64 {
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < m; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / float64(m)
}

func spawnBench() {
	runtime.GOMAXPROCS(1)
	m := scaled(1_000_000)
	// Same process twice: the second run reuses the runtime's free g/stack lists.
	report("spawn_complete_cold", spawnOnce(m), "ns")
	report("spawn_complete_warm", spawnOnce(m), "ns")
}

func parkedBench() {
	runtime.GOMAXPROCS(1)
	m := scaled(1_000_000)
	release := make(chan struct{})
	var started, finished sync.WaitGroup
	started.Add(m)
	finished.Add(m)

	// Settle the heap first so earlier workloads' garbage doesn't skew the delta.
	runtime.GC()
	before := rssBytes()
	for i := 0; i < m; i++ {
		go func() {
			started.Done() // proves this goroutine has run and is about to park
			<-release
			finished.Done()
		}()
	}
	started.Wait()
	after := rssBytes()
	report("parked_rss_per_fiber", float64(after-before)/float64(m), "bytes")

	close(release)
	finished.Wait()
}

// percentile uses the nearest-rank method on an ascending slice.
func percentile(sorted []time.Duration, p float64) time.Duration {
	idx := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if idx < 0 {
		idx = 0
	}
	return sorted[idx]
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func timerStormBench() {
	runtime.GOMAXPROCS(1)
	k := scaled(100_000)
	// Delays are drawn up front so the shared RNG is not part of what is timed.
	rng := rand.New(rand.NewSource(42))
	delays := make([]time.Duration, k)
	for i := range delays {
		delays[i] = time.Duration(rng.Int63n(int64(100 * time.Millisecond)))
	}
	late := make([]time.Duration, k)

	var wg sync.WaitGroup
	wg.Add(k)
	start := time.Now()
	for i := 0; i < k; i++ {
		go func(i int) {
			defer wg.Done()
			d := delays[i]
			t0 := time.Now()
			time.Sleep(d)
			late[i] = time.Since(t0) - d
		}(i)
	}
	wg.Wait()
	wall := time.Since(start)

	sort.Slice(late, func(a, b int) bool { return late[a] < late[b] })
	report("timer_storm_wall", ms(wall), "ms")
	report("timer_storm_p50_late", ms(percentile(late, 50)), "ms")
	report("timer_storm_p99_late", ms(percentile(late, 99)), "ms")
	report("timer_storm_max_late", ms(late[k-1]), "ms")
}

func timerLoadBench() {
	runtime.GOMAXPROCS(1)
	k := scaled(10_000)
	const busy = 100
	rng := rand.New(rand.NewSource(7))
	delays := make([]time.Duration, k)
	for i := range delays {
		delays[i] = time.Duration(rng.Int63n(int64(100 * time.Millisecond)))
	}
	late := make([]time.Duration, k)

	var stop int32
	var busyWg, wg sync.WaitGroup
	busyWg.Add(busy)
	for b := 0; b < busy; b++ {
		go func() {
			defer busyWg.Done()
			for atomic.LoadInt32(&stop) == 0 {
				t := time.Now()
				for time.Since(t) < 20*time.Microsecond {
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Add(k)
	for i := 0; i < k; i++ {
		go func(i int) {
			defer wg.Done()
			d := delays[i]
			t0 := time.Now()
			time.Sleep(d)
			late[i] = time.Since(t0) - d
		}(i)
	}
	wg.Wait()
	atomic.StoreInt32(&stop, 1)
	busyWg.Wait()

	sort.Slice(late, func(a, b int) bool { return late[a] < late[b] })
	report("timer_load_p50_late", ms(percentile(late, 50)), "ms")
	report("timer_load_p99_late", ms(percentile(late, 99)), "ms")
	report("timer_load_max_late", ms(late[k-1]), "ms")
}

func postBench() {
	runtime.GOMAXPROCS(2)
	r := scaled(200_000)
	ping := make(chan struct{}) // unbuffered: every send is a hand-off
	pong := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(2)
	wg.Add(2)

	// Each side is locked to its own OS thread so every hop crosses threads.
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ready.Done()
		for i := 0; i < r; i++ {
			<-ping
			pong <- struct{}{}
		}
	}()
	var elapsed time.Duration
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ready.Done()
		ready.Wait() // don't time thread start-up
		start := time.Now()
		for i := 0; i < r; i++ {
			ping <- struct{}{}
			<-pong
		}
		elapsed = time.Since(start)
	}()
	wg.Wait()
	report("cross_thread_roundtrip", float64(elapsed.Nanoseconds())/float64(r), "ns")
}

func main() {
	workload := flag.String("workload", "all", "yield, spawn, parked, timerstorm, timerload, post or all")
	flag.Float64Var(&scale, "scale", 1.0, "multiplier for iteration counts")
	flag.Parse()
	if scale <= 0 {
		fmt.Fprintln(os.Stderr, "-scale must be > 0")
		os.Exit(2)
	}

	benches := []struct {
		name string
		run  func()
	}{
		{"yield", yieldBench},
		{"spawn", spawnBench},
		{"parked", parkedBench},
		{"timerstorm", timerStormBench},
		{"timerload", timerLoadBench},
		{"post", postBench},
	}
	ran := false
	for _, b := range benches {
		if *workload == "all" || *workload == b.name {
			b.run()
			ran = true
		}
	}
	if !ran {
		fmt.Fprintf(os.Stderr, "unknown workload %q\n", *workload)
		os.Exit(2)
	}
}
