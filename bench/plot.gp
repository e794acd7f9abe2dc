# plot.gp - the benchmark's charts, driven by plot.sh, which sets:
#   dat    a folder of data files cut from the CSV
#   out    where the PNGs go
#   tputs  transports with throughput at two sizes or more
#   rtts   transports with round trips at two sizes or more
#   size   the message size of the per-transport charts
#   caption  the machine and the day, under the summary's title
#   nsumt, nsumr  rows of the summary's two panels (0: no summary)

set terminal pngcairo size 1200,750 noenhanced font "sans,10"
set grid
set key outside right top
set style data linespoints

# --- throughput against message size, msgs/s and MB/s (log-log) -----
if (strlen(tputs) > 0) {
	set output out . "/throughput-vs-size.png"
	set title "Streaming throughput against message size (higher is better)"
	set logscale x 2
	set logscale y 10
	set xrange [6:90000]
	set format y "%.0s%c"
	set xlabel "message size, bytes"
	set ylabel "messages per second"
	set xtics (8, 64, 256, "1K" 1024, "4K" 4096, "64K" 65536)
	plot for [t in tputs] dat . "/tput-" . t . ".dat" using 1:2 title t lw 2
	set output out . "/bandwidth-vs-size.png"
	set title "Streaming bandwidth against message size (higher is better)"
	set ylabel "MB/s of payload (10^6 bytes)"
	set format y "%g"
	plot for [t in tputs] dat . "/tput-" . t . ".dat" using 1:3 title t lw 2
	unset logscale
}

# --- median round trip against message size (log-log) --------------
if (strlen(rtts) > 0) {
	set output out . "/latency-vs-size.png"
	set title "Round trip against message size: p50 (lines), p99 (dashed); lower is better"
	set logscale x 2
	set logscale y 10
	set xrange [6:90000]
	set format y "%.0s%cs"
	set xlabel "message size, bytes"
	set ylabel "round trip (seconds)"
	set xtics (8, 64, 256, "1K" 1024, "4K" 4096, "64K" 65536)
	plot for [i=1:words(rtts)] dat . "/rtt-" . word(rtts, i) . ".dat" \
		using 1:($2 * 1e-9) title word(rtts, i) . " p50" lw 2 lc i, \
	     for [i=1:words(rtts)] dat . "/rtt-" . word(rtts, i) . ".dat" \
		using 1:($3 * 1e-9) with lines notitle dt 2 lc i
	unset logscale
}
set xtics autofreq
set xrange [*:*]

# --- round-trip percentiles per transport at one size ----------------
stats dat . "/lat.dat" using 3 nooutput
if (STATS_records > 0) {
	set output out . "/latency-" . size . "B.png"
	set title "Round trip percentiles, " . size . "-byte messages (log scale, lower is better)"
	set logscale y 10
	set format y "%.0s%cs"
	set ylabel "round trip (seconds)"
	set xlabel ""
	unset key
	set key outside right top
	set xtics rotate by -40 left
	set style data points
	set bars 0
	set xrange [-0.7:STATS_records - 0.3]
	plot dat . "/lat.dat" using 0:($3 * 1e-9):($2 * 1e-9):($7 * 1e-9):xtic(1) \
		with yerrorbars lc "gray50" pt -1 title "min..max", \
	     "" using 0:($2 * 1e-9) pt 1 ps 1.2 lc "dark-green" title "min", \
	     "" using 0:($3 * 1e-9) pt 7 ps 1.4 lc "blue" title "p50", \
	     "" using 0:($4 * 1e-9) pt 5 ps 1.0 lc "dark-cyan" title "p90", \
	     "" using 0:($5 * 1e-9) pt 9 ps 1.4 lc "orange" title "p99", \
	     "" using 0:($6 * 1e-9) pt 11 ps 1.4 lc "red" title "p99.9", \
	     "" using 0:($7 * 1e-9) pt 2 ps 1.2 lc "black" title "max"
	unset logscale
	set xrange [*:*]
}

# --- throughput of every transport at one size -----------------------
stats dat . "/tput-one.dat" using 2 nooutput
if (STATS_records > 0) {
	set output out . "/throughput-" . size . "B.png"
	set title "Streaming throughput, " . size . "-byte messages (log scale, higher is better)"
	set logscale y 10
	set format y "%.0s%c"
	set ylabel "messages per second"
	set xlabel ""
	unset key
	set xtics rotate by -40 left
	set style fill solid 0.6 border -1
	set boxwidth 0.7
	set yrange [1e3:*]
	set xrange [-0.7:STATS_records - 0.3]
	plot dat . "/tput-one.dat" using 0:2:xtic(1) with boxes lc "steelblue"
}

# --- summary at one size, for the README: two panels ----------------
# Throughput above, round trip below, each best first; shmring's rows
# in orange. Drawn afresh: nothing of the charts above carries over.
if (nsumt > 0 && nsumr > 0) {
	reset
	set terminal pngcairo size 960,820 noenhanced font "sans,10"
	set output out . "/summary-" . size . "B.png"
	si(v) = v >= 1e6 ? sprintf("%.1fM", v / 1e6) : \
		v >= 1e3 ? sprintf("%.0fk", v / 1e3) : sprintf("%.0f", v)
	ns(v) = v >= 1e6 ? sprintf("%.1f ms", v / 1e6) : \
		v >= 1e3 ? sprintf("%.1f us", v / 1e3) : sprintf("%.0f ns", v)
	colour(hi) = hi > 0.5 ? 0xe66100 : 0x8c8c8c
	set multiplot layout 2,1 title "shmring against the kernel's IPC " . \
		"and other libraries: " . size . "-byte messages, two " . \
		"processes on CPUs of their own\n" . caption font ",11"
	set logscale y 10
	set grid ytics
	set xtics rotate by -35 left nomirror
	set ytics nomirror
	set style fill solid 0.85 border -1
	set boxwidth 0.7
	set key top right samplen 1.5
	set lmargin 10
	set rmargin 3

	set title "Streaming throughput, messages per second (log scale, higher is better)"
	set format y "%.0s%c"
	set xrange [-0.7:nsumt - 0.3]
	stats dat . "/sum-tput.dat" using 2 nooutput
	set yrange [1e4:STATS_max * 2.5]
	plot dat . "/sum-tput.dat" using 0:2:(colour($3)):xtic(1) \
		with boxes lc rgb variable notitle, \
	     "" using 0:2:(si($2)) with labels offset 0,0.7 font ",8" notitle, \
	     NaN with boxes lc rgb "#e66100" title "shmring", \
	     NaN with boxes lc rgb "#8c8c8c" title "others"

	set title "Round trip, median (log scale, lower is better)"
	set format y "%.0s%cs"
	set xrange [-0.7:nsumr - 0.3]
	stats dat . "/sum-rtt.dat" using 2 nooutput
	set yrange [1e-8:STATS_max * 1e-9 * 2.5]
	plot dat . "/sum-rtt.dat" using 0:($2 * 1e-9):(colour($3)):xtic(1) \
		with boxes lc rgb variable notitle, \
	     "" using 0:($2 * 1e-9):(ns($2)) with labels offset 0,0.7 \
		font ",8" notitle
	unset multiplot
}

# --- paired trials: every round's ratio, per pair ------------------
# One column per pair; a dot per round, filled in a fast phase, open in
# a slow one (either phase probe above twice the run's fastest). Above
# 1 shmring moved more (msgs/s) or took longer (RTT).
if (npaired > 0) {
	reset
	set terminal pngcairo size 1000,600 noenhanced font "sans,10"
	set output out . "/paired-64B.png"
	set title "Paired trials, 64-byte messages: shmring's block over " . \
		"the other's, round by round\n" . pcaption font ",11"
	set logscale y 2
	set grid ytics
	set xtics rotate by -30 left nomirror
	set key top right
	set bmargin 9
	set ylabel "ratio (log scale)"
	stats dat . "/paired.dat" using 1 nooutput
	set xrange [-0.7:STATS_max + 0.7]
	plot dat . "/paired.dat" \
		using 1:($3 < 0.5 ? $2 : NaN):xtic(4) with points pt 7 ps 1.2 \
		lc rgb "#e66100" title "fast-phase round", \
	     "" using 1:($3 > 0.5 ? $2 : NaN) with points pt 6 ps 1.2 \
		lc rgb "#5e3c99" title "slow-phase round", \
	     1 with lines lc rgb "#8c8c8c" dt 2 notitle
}
