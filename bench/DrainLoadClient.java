import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load client for bench/drain-10k.sh: holds N concurrent in-flight requests against one
 * server on 127.0.0.1, one raw HTTP/1.1 socket per request, never retrying.
 * <p>
 * Run with the single-file source launcher on Java 21+ (virtual threads): {@code java
 * DrainLoadClient.java <port> <requests> <workMs> <connectMs> <rampMs> <latestReadyMs>
 * <deadlineMs> <warmups>}.
 * <ol>
 * <li>Warms the server up with {@code warmups} short requests (not counted).</li>
 * <li>Opens the connections, spread evenly over {@code connectMs}, one virtual thread each,
 * and waits until the server has accepted them all (no connection left in its accept
 * queue or half-open, per {@code /proc/net/tcp*}): a server that accepts slower than the
 * client connects would otherwise start some requests seconds late.</li>
 * <li>Sends one {@code GET /work?ms=<workMs>} per connection (keep-alive, as a real client
 * would), spread evenly over {@code rampMs} by a single pacing thread, while each
 * connection's virtual thread reads its response.</li>
 * <li>Polls the server's {@code http.server.requests.active} meter (Actuator metrics
 * endpoint) until every request is in flight, but not later than {@code latestReadyMs}
 * after the first request was sent (which must still be running then), and prints
 * {@code READY ...}: the caller sends SIGTERM then.</li>
 * <li>Prints {@code RESULT ...} when every request has ended, or {@code deadlineMs} after
 * the first request was sent; a request still open then counts as failed.</li>
 * </ol>
 * Every request ends exactly once, as completed (status 200 and the whole body read) or
 * failed (any other status, I/O error, EOF, timeout), so sent == completed + failed.
 * Failures are grouped by phase and cause, with the wall-clock time of the first and last.
 */
public class DrainLoadClient {

	private static final String HOST = "127.0.0.1";

	private static final int PENDING = 0, COMPLETED = 1, FAILED = 2;

	private static final Pattern ACTIVE_TASKS = Pattern
		.compile("\"statistic\"\\s*:\\s*\"ACTIVE_TASKS\"\\s*,\\s*\"value\"\\s*:\\s*([0-9.Ee+-]+)");

	private final int port;

	private final int requests;

	private final byte[] request;

	/** PENDING, COMPLETED or FAILED per request; the first transition out of PENDING wins. */
	private final AtomicIntegerArray outcome;

	/** Whether the request has been written in full. */
	private final AtomicIntegerArray written;

	private final AtomicReferenceArray<Socket> sockets;

	private final CountDownLatch ended;

	private final CountDownLatch connectsEnded;

	private final LongAdder connected = new LongAdder();

	private final LongAdder connectionClose = new LongAdder();

	private final AtomicLong firstCompletion = new AtomicLong(Long.MAX_VALUE);

	private final AtomicLong lastCompletion = new AtomicLong(0);

	/** Failure reason (phase and cause) to {count, first epoch ms, last epoch ms}. */
	private final Map<String, long[]> failures = new ConcurrentHashMap<>();

	DrainLoadClient(int port, int requests, long workMs) {
		this.port = port;
		this.requests = requests;
		this.request = ("GET /work?ms=" + workMs + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: */*\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
		this.outcome = new AtomicIntegerArray(requests);
		this.written = new AtomicIntegerArray(requests);
		this.sockets = new AtomicReferenceArray<>(requests);
		this.ended = new CountDownLatch(requests);
		this.connectsEnded = new CountDownLatch(requests);
	}

	public static void main(String[] args) throws Exception {
		if (args.length != 8) {
			System.err.println("usage: DrainLoadClient <port> <requests> <workMs> <connectMs> <rampMs> <latestReadyMs>"
					+ " <deadlineMs> <warmups>");
			System.exit(2);
		}
		int port = Integer.parseInt(args[0]);
		int requests = Integer.parseInt(args[1]);
		long workMs = Long.parseLong(args[2]);
		long connectMs = Long.parseLong(args[3]);
		long rampMs = Long.parseLong(args[4]);
		long latestReadyMs = Long.parseLong(args[5]);
		long deadlineMs = Long.parseLong(args[6]);
		int warmups = Integer.parseInt(args[7]);
		new DrainLoadClient(port, requests, workMs).run(warmups, connectMs, rampMs, latestReadyMs, deadlineMs);
	}

	void run(int warmups, long connectMs, long rampMs, long latestReadyMs, long deadlineMs) throws Exception {
		warmUp(warmups);
		// The poll is itself an observed request: count what the meter shows with no load.
		double baseline = Double.NaN;
		for (int attempt = 0; attempt < 5 && Double.isNaN(baseline); attempt++) {
			baseline = activeRequests(5000);
		}
		if (Double.isNaN(baseline)) {
			baseline = 1;
		}
		log("baseline http.server.requests.active=" + (long) baseline);

		// 1. Connections, paced over connectMs. No request yet, so no clock is running. The
		// read timeout covers the connect and settle phases and the deadline after them.
		int readTimeoutMs = (int) (60_000 + 30_000 + connectMs + deadlineMs);
		long start = System.nanoTime();
		for (int i = 0; i < this.requests; i++) {
			sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(connectMs * i / this.requests));
			int id = i;
			Thread.ofVirtual().name("req-" + i).start(() -> connectAndRead(id, readTimeoutMs));
		}
		this.connectsEnded.await(60, TimeUnit.SECONDS);
		log("connected " + this.connected.sum() + " of " + this.requests + " after " + elapsedMs(start) + " ms");
		// A connection the client sees as open may still sit in the server's accept queue, or
		// be half-open there (its ACK dropped because the accept queue was full).
		long settleStart = System.nanoTime();
		String backlog = "";
		while (System.nanoTime() - settleStart < TimeUnit.SECONDS.toNanos(30)) {
			int[] counts = serverSockets();
			backlog = "server side: " + counts[0] + " established, " + counts[1] + " in the accept queue, "
					+ counts[2] + " half-open (SYN_RECV)";
			if (counts[1] == 0 && counts[2] == 0) {
				break;
			}
			Thread.sleep(100);
		}
		log(backlog + " after " + elapsedMs(settleStart) + " ms");

		// 2. Requests, spread over rampMs by one thread; the deadline counts from the first.
		long go = System.nanoTime();
		long deadline = go + TimeUnit.MILLISECONDS.toNanos(deadlineMs);
		long gateEnd = go + TimeUnit.MILLISECONDS.toNanos(latestReadyMs);
		long target = this.connected.sum();
		Thread writer = Thread.ofPlatform().name("writer").start(() -> writeAll(go, rampMs));

		// 3. Wait until the server has them all in flight, then tell the caller to send SIGTERM.
		double active;
		boolean allWritten = false;
		do {
			Thread.sleep(100);
			if (!allWritten && !writer.isAlive()) {
				allWritten = true;
				log("+" + elapsedMs(go) + " ms: all requests written");
			}
			long remainingMs = TimeUnit.NANOSECONDS.toMillis(gateEnd - System.nanoTime());
			active = activeRequests((int) Math.max(100, Math.min(2000, remainingMs)));
			log("+" + elapsedMs(go) + " ms: http.server.requests.active=" + (long) active);
		}
		while (!(allWritten && active - baseline >= target) && System.nanoTime() - gateEnd < 0);
		long inFlight = Double.isNaN(active) ? -1 : (long) (active - baseline);
		System.out.println("READY inFlightSeenByServer=" + inFlight + " connected=" + target + " sinceFirstRequestMs="
				+ elapsedMs(go) + ((inFlight < target) ? " NOT_ALL_IN_FLIGHT" : ""));
		System.out.flush();

		boolean all = this.ended.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		if (!all) {
			long now = System.currentTimeMillis();
			for (int i = 0; i < this.requests; i++) {
				fail(i, "deadline: no complete response " + deadlineMs + " ms after the first request", now);
			}
		}
		report(go);
		System.exit(0);
	}

	private void connectAndRead(int id, int readTimeoutMs) {
		Socket socket = new Socket();
		try (socket) {
			try {
				socket.setSoTimeout(readTimeoutMs);
				socket.connect(new InetSocketAddress(HOST, this.port), 10_000);
				this.connected.increment();
				this.sockets.set(id, socket);
			}
			finally {
				this.connectsEnded.countDown();
			}
			readResponse(id, socket);
		}
		catch (Exception ex) {
			String phase = (socket.isConnected() ? "read" : "connect")
					+ ((this.written.get(id) == 0) ? " (request not yet written)" : "");
			fail(id, phase + ": " + ex.getClass().getSimpleName() + ": " + ex.getMessage(),
					System.currentTimeMillis());
		}
	}

	private void writeAll(long go, long rampMs) {
		for (int id = 0; id < this.requests; id++) {
			Socket socket = this.sockets.get(id);
			if (socket == null) {
				continue;
			}
			try {
				sleepUntil(go + TimeUnit.MILLISECONDS.toNanos(rampMs * id / this.requests));
				OutputStream out = socket.getOutputStream();
				out.write(this.request);
				out.flush();
				this.written.set(id, 1);
			}
			catch (Exception ex) {
				fail(id, "write: " + ex.getClass().getSimpleName() + ": " + ex.getMessage(), System.currentTimeMillis());
			}
		}
	}

	private void readResponse(int id, Socket socket) throws IOException {
		InputStream in = new BufferedInputStream(socket.getInputStream(), 1024);
		int status = parseStatus(readLine(in));
		long contentLength = -1;
		boolean chunked = false;
		for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
			int colon = line.indexOf(':');
			if (colon < 0) {
				continue;
			}
			String name = line.substring(0, colon).trim();
			String value = line.substring(colon + 1).trim();
			if (name.equalsIgnoreCase("Content-Length")) {
				contentLength = Long.parseLong(value);
			}
			else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
				chunked = true;
			}
			else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
				this.connectionClose.increment();
			}
		}
		if (chunked) {
			readChunked(in);
		}
		else if (contentLength >= 0) {
			skipFully(in, contentLength, "body");
		}
		else {
			in.transferTo(OutputStream.nullOutputStream());
		}
		long now = System.currentTimeMillis();
		if (status != 200) {
			fail(id, "response: status " + status, now);
		}
		else if (this.outcome.compareAndSet(id, PENDING, COMPLETED)) {
			this.firstCompletion.accumulateAndGet(now, Math::min);
			this.lastCompletion.accumulateAndGet(now, Math::max);
			this.ended.countDown();
		}
	}

	private void fail(int id, String reason, long now) {
		if (this.outcome.compareAndSet(id, PENDING, FAILED)) {
			this.failures.compute(reason.replace('\n', ' '), (key, stats) -> {
				if (stats == null) {
					return new long[] { 1, now, now };
				}
				stats[0]++;
				stats[1] = Math.min(stats[1], now);
				stats[2] = Math.max(stats[2], now);
				return stats;
			});
			this.ended.countDown();
		}
	}

	private void report(long go) {
		long completed = 0, failed = 0, pending = 0, written = 0;
		for (int i = 0; i < this.requests; i++) {
			switch (this.outcome.get(i)) {
				case COMPLETED -> completed++;
				case FAILED -> failed++;
				default -> pending++;
			}
			written += this.written.get(i);
		}
		new TreeMap<>(this.failures).forEach((reason, stats) -> System.out.println("FAILURE count=" + stats[0]
				+ " firstEpochMs=" + stats[1] + " lastEpochMs=" + stats[2] + " reason=" + reason));
		System.out.println("RESULT sent=" + this.requests + " completed=" + completed + " failed=" + failed
				+ " pending=" + pending + " connected=" + this.connected.sum() + " written=" + written
				+ " connectionClose=" + this.connectionClose.sum() + " firstCompletionEpochMs="
				+ ((completed > 0) ? this.firstCompletion.get() : 0) + " lastCompletionEpochMs="
				+ ((completed > 0) ? this.lastCompletion.get() : 0) + " elapsedMs=" + elapsedMs(go));
		System.out.flush();
	}

	/**
	 * Warm the server up (JIT, class loading, accept path, the delayed-response path) with
	 * short requests on fresh connections, so that a cold JVM does not slow the measured
	 * ramp. Not counted.
	 */
	private void warmUp(int warmups) throws InterruptedException {
		if (warmups <= 0) {
			return;
		}
		long start = System.nanoTime();
		LongAdder ok = new LongAdder();
		LongAdder failed = new LongAdder();
		byte[] warmupRequest = ("GET /work?ms=1 HTTP/1.1\r\nHost: " + HOST + ":" + this.port
				+ "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
		int workers = 32;
		Thread[] threads = new Thread[workers];
		for (int w = 0; w < workers; w++) {
			int share = warmups / workers + ((w < warmups % workers) ? 1 : 0);
			threads[w] = Thread.ofVirtual().start(() -> {
				for (int i = 0; i < share; i++) {
					try (Socket socket = new Socket()) {
						socket.setSoTimeout(10_000);
						socket.connect(new InetSocketAddress(HOST, this.port), 10_000);
						socket.getOutputStream().write(warmupRequest);
						String response = new String(socket.getInputStream().readAllBytes(),
								StandardCharsets.ISO_8859_1);
						(response.startsWith("HTTP/1.1 200") ? ok : failed).increment();
					}
					catch (IOException ex) {
						failed.increment();
					}
				}
			});
		}
		for (Thread thread : threads) {
			thread.join();
		}
		log("warm-up: " + ok.sum() + " ok, " + failed.sum() + " failed in " + elapsedMs(start) + " ms");
	}

	/** One GET on its own connection, for the Actuator meter; NaN when it cannot be read. */
	private double activeRequests(int timeoutMs) {
		try (Socket socket = new Socket()) {
			socket.setSoTimeout(timeoutMs);
			socket.connect(new InetSocketAddress(HOST, this.port), timeoutMs);
			socket.getOutputStream()
				.write(("GET /actuator/metrics/http.server.requests.active HTTP/1.1\r\nHost: " + HOST + ":"
						+ this.port + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
			String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
			Matcher matcher = ACTIVE_TASKS.matcher(response);
			return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
		}
		catch (IOException ex) {
			log("metrics poll failed: " + ex);
			return Double.NaN;
		}
	}

	/**
	 * Count the server's sockets from the kernel's tables (IPv4 and IPv6; Java binds
	 * 127.0.0.1 as ::ffff:127.0.0.1 when IPv6 is available).
	 * @return established connections, accept queue length and half-open connections
	 */
	private int[] serverSockets() throws IOException {
		String localPort = String.format(":%04X", this.port);
		int established = 0, acceptQueue = 0, synRecv = 0;
		for (String table : new String[] { "/proc/net/tcp", "/proc/net/tcp6" }) {
			Path path = Path.of(table);
			if (!Files.isReadable(path)) {
				continue;
			}
			for (String line : Files.readAllLines(path)) {
				String[] f = line.trim().split("\\s+");
				if (f.length < 5 || !f[1].endsWith(localPort)) {
					continue;
				}
				switch (f[3]) {
					case "01" -> established++;
					case "03" -> synRecv++;
					// For a listening socket rx_queue is the accept queue length.
					case "0A" -> acceptQueue += Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
					default -> {
					}
				}
			}
		}
		return new int[] { established, acceptQueue, synRecv };
	}

	private static int parseStatus(String statusLine) throws IOException {
		String[] parts = statusLine.split(" ", 3);
		if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
			throw new IOException("bad status line '" + statusLine + "'");
		}
		return Integer.parseInt(parts[1]);
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		while (true) {
			int b = in.read();
			if (b < 0) {
				throw new EOFException("EOF after " + line.length() + " byte(s) of a line");
			}
			if (b == '\n') {
				int length = line.length();
				if (length > 0 && line.charAt(length - 1) == '\r') {
					line.setLength(length - 1);
				}
				return line.toString();
			}
			line.append((char) b);
		}
	}

	private static void readChunked(InputStream in) throws IOException {
		while (true) {
			String size = readLine(in);
			int semicolon = size.indexOf(';');
			long length = Long.parseLong((semicolon >= 0) ? size.substring(0, semicolon).trim() : size.trim(), 16);
			if (length == 0) {
				// Trailers, then the empty line that ends the message.
				while (!readLine(in).isEmpty()) {
				}
				return;
			}
			skipFully(in, length, "chunk");
			readLine(in);
		}
	}

	private static void skipFully(InputStream in, long length, String what) throws IOException {
		long remaining = length;
		byte[] buffer = new byte[512];
		while (remaining > 0) {
			int read = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
			if (read < 0) {
				throw new EOFException("EOF with " + remaining + " of " + length + " " + what + " byte(s) unread");
			}
			remaining -= read;
		}
	}

	private static void sleepUntil(long nanoTime) throws InterruptedException {
		long wait = nanoTime - System.nanoTime();
		if (wait > 0) {
			TimeUnit.NANOSECONDS.sleep(wait);
		}
	}

	private static long elapsedMs(long startNanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
	}

	private static void log(String message) {
		System.out.println("# " + message);
		System.out.flush();
	}

}
