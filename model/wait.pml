/*
 * wait.pml - the sleep/wake protocol of lib/wait.c, with store buffers.
 *
 * A producer and a consumer share a ring of CAP messages and pass N of
 * them. Each side, finding the ring full (empty), sleeps on the other
 * side's futex word with the protocol of lib/wait.c:
 *
 *   sleeper                          publisher
 *   W3 v = seq                       P1 store position
 *   W1 waiters = 1                   P2 full fence
 *   W2 full fence                    P3 if waiters != 0:
 *   W4 re-check the ring             P3'    claim = xchg(waiters, 0)
 *   W5 futex_wait(seq, v)            P4     if claim: seq += 1;
 *   W6 waiters = 0                                futex_wake(seq)
 *   (and round again from W3)
 *
 * The announcement is a token (one wake per sleep): the publisher that
 * finds it takes it (P3', a locked exchange, in a step of its own after
 * P3, so that other steps fall between) and only a publisher that took
 * it wakes; the sleeper announces again on every round. W3 comes before
 * W1: a P3 that read the announcement late may take one made after its
 * own message was consumed, and the sleeper must then not sleep on a seq
 * read after that publisher's P4.

 * Memory is modelled with store buffers (total store order, as on x86):
 * every store a process makes goes to its own FIFO buffer, which a
 * separate process drains into memory at any moment; a process reads its
 * own variables from what it last wrote (store forwarding) and the other's
 * from memory. A full fence waits until the process's buffer is empty. So
 * a store followed by a load of another variable may be reordered, which
 * is exactly what breaks a Dekker pair such as W1/W4 against P1/P3.
 *
 * W1 is modelled as a plain store, although the library uses a locked
 * read-modify-write: a C11 seq_cst RMW followed by a relaxed load of
 * another variable is not ordered on every architecture (on ARMv8 the
 * load may complete before the store-release half of the RMW is visible),
 * so the model does not lean on it. P4 (seq += 1) is a release RMW on a
 * variable only the publisher writes: drain, then increment in memory.
 *
 * futex_wait(seq, v) compares the word in memory with v and sleeps
 * atomically with respect to futex_wake, as the kernel's hash-bucket lock
 * makes it; the model has no timeouts (the library's 50 ms sleep slices
 * would hide a lost wake-up as a delay: the model shows there is none).
 *
 * Variants (spin -D...):
 *   (none)          full fences at W2 and P2: must verify;
 *   MEMBARRIER      P2 a compiler barrier only, and W2' after W2: the
 *                   sleeper's membarrier(GLOBAL_EXPEDITED), modelled as
 *                   draining the other process's store buffer: must verify;
 *   NO_FENCE        neither fence: the checker must find the lost wake-up;
 *   LIGHT_ONLY      P2 a compiler barrier, no W2': must fail likewise;
 *   NO_RECHECK      fences, but no W4: must fail;
 *   LATE_READ       W3 after W1-W2 (the order before the token): must
 *                   fail, a late take leaving the sleeper asleep on a
 *                   seq that no later publish moves.
 *
 * A lost wake-up shows as an invalid end state: a process asleep for good
 * on a futex while the other has finished (or sleeps too).
 */

#ifndef N
#define N 3
#endif
#ifndef CAP
#define CAP 1
#endif

/* Memory: variable ids. */
#define PROD 0 /* producer position: messages published */
#define CONS 1 /* consumer position: messages consumed */
#define DW 2   /* data_wait.waiters: consumers announced */
#define DS 3   /* data_wait.seq: the consumer's futex word */
#define SW 4   /* space_wait.waiters */
#define SS 5   /* space_wait.seq: the producer's futex word */

byte mem[6];

chan bufP = [2] of { byte, byte }; /* producer's store buffer */
chan bufC = [2] of { byte, byte }; /* consumer's store buffer */

bool asleepP, asleepC; /* blocked in futex_wait */
byte consumed;         /* what the consumer took, for the final check */

/* Drain one process's buffer into memory, oldest store first, whenever. */
proctype drainer(chan b)
{
	byte var, val;
end:
	do
	:: atomic { b ? var, val -> mem[var] = val }
	od
}

/* Drain @b right now (a full barrier on that CPU). */
#define FLUSH(b)                                                   \
	do                                                         \
	:: atomic { nempty(b) -> b ? tvar, tval; mem[tvar] = tval } \
	:: empty(b) -> break                                      \
	od

#define STORE(b, var, val) b ! var, val
#define FENCE(b) empty(b)

#if defined(NO_FENCE)
#define SLEEPER_FENCE(own, other) skip
#define PUBLISHER_FENCE(own) skip
#elif defined(LIGHT_ONLY)
#define SLEEPER_FENCE(own, other) FENCE(own)
#define PUBLISHER_FENCE(own) skip
#elif defined(MEMBARRIER)
/* W2, then W2': every other CPU runs a full barrier. */
#define SLEEPER_FENCE(own, other) FENCE(own); atomic { FLUSH(other) }
#define PUBLISHER_FENCE(own) skip
#else
#define SLEEPER_FENCE(own, other) FENCE(own)
#define PUBLISHER_FENCE(own) FENCE(own)
#endif

/*
 * Wait on futex word @seq until the condition @ready holds, announcing on
 * @waiters: the loop of wait_for(). @asleep is this process's flag.
 */
#ifdef NO_RECHECK
#define RECHECK(own, waiters, ready) skip
#else
#define RECHECK(own, waiters, ready) \
	if :: (ready) -> STORE(own, waiters, 0); break :: else -> skip fi
#endif

#ifdef LATE_READ
#define READ_EARLY(seq) skip
#define READ_LATE(seq) v = mem[seq]
#else
#define READ_EARLY(seq) v = mem[seq]
#define READ_LATE(seq) skip
#endif

#define WAIT_FOR(own, other, waiters, seq, asleep, ready)              \
	do                                                             \
	:: (ready) -> break                                            \
	:: else ->                                                     \
		READ_EARLY(seq);                           /* W3 */     \
		STORE(own, waiters, 1);                    /* W1 */     \
		SLEEPER_FENCE(own, other);                 /* W2, W2' */ \
		READ_LATE(seq);                            /* W3 late */ \
		RECHECK(own, waiters, ready);              /* W4 */     \
		atomic {                                   /* W5 */     \
			if                                             \
			:: mem[seq] == v -> asleep = true              \
			:: else -> skip                                \
			fi                                             \
		};                                                     \
		!asleep;                                               \
		STORE(own, waiters, 0)                     /* W6 */     \
	od

/*
 * After publishing: wake the other side if it announced itself, taking
 * its announcement. P3' is a locked RMW: it drains the buffer, then reads
 * and clears the word in memory in one step.
 */
#define WAKE(own, waiters, seq, asleep)                                \
	PUBLISHER_FENCE(own);                              /* P2 */     \
	if                                                             \
	:: mem[waiters] != 0 ->                            /* P3 */     \
		FENCE(own);                                            \
		atomic { claim = mem[waiters]; mem[waiters] = 0 }; /* P3' */ \
		if                                                     \
		:: claim != 0 ->                                       \
			atomic { mem[seq] = mem[seq] + 1; asleep = false } /* P4 */ \
		:: else -> skip                                        \
		fi                                                     \
	:: else -> skip                                                \
	fi

proctype producer()
{
	byte p, v, claim, tvar, tval;

	do
	:: p == N -> break
	:: else ->
		/* Room: CAP more than what the consumer has taken. */
		WAIT_FOR(bufP, bufC, SW, SS, asleepP, p - mem[CONS] < CAP);
		p++;
		STORE(bufP, PROD, p);                      /* P1 */
		WAKE(bufP, DW, DS, asleepC)
	od
}

proctype consumer()
{
	byte c, v, claim, tvar, tval;

	do
	:: c == N -> break
	:: else ->
		WAIT_FOR(bufC, bufP, DW, DS, asleepC, mem[PROD] != c);
		c++;
		STORE(bufC, CONS, c);                      /* C2 */
		WAKE(bufC, SW, SS, asleepP)
	od;
	consumed = c
}

init
{
	atomic {
		run drainer(bufP);
		run drainer(bufC);
		run producer();
		run consumer()
	}
}

