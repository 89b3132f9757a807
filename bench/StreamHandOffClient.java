import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Client of {@code bench/stream-handoff-10k.sh}: holds SSE streams and WebSockets open on
 * instance A of the sample application, and when A ends one, reconnects it to instance B
 * at once, resuming after the last tick seen, as a client behind a load balancer would.
 * <p>
 * Run with the single-file source launcher on Java 21+ (virtual threads): {@code java
 * StreamHandOffClient.java <portA> <portB> <sseStreams> <wsStreams> <connectMs>
 * <readyTimeoutMs> <deadlineMs> <eventsFile>}.
 * <ol>
 * <li>Opens {@code sseStreams} {@code GET /ticker} streams (the chunked body parsed just
 * enough to see the events and its end) and {@code wsStreams} WebSockets {@code /ticks} (a
 * minimal client: handshake, text, ping and close frames) to A, spread evenly over
 * {@code connectMs}: raw sockets, one virtual thread per stream. (The JDK's
 * {@code java.net.http.WebSocket}, tried first, once never reported one of 5 000 closes.)</li>
 * <li>Prints {@code READY ...} once every stream has had its first tick (or
 * {@code readyTimeoutMs} has passed): the caller sends SIGTERM to A then.</li>
 * <li>Records, per stream, when and how it ended on A: {@code clean} (SSE: the
 * {@code shutdown} event, then the chunked body's end), {@code event-then-cut} (the
 * event, then no end of the body), {@code end-without-event}, {@code cut} (EOF, reset),
 * {@code 1001} or another close code (WebSocket: when the close frame arrives; the client
 * answers it, then reconnects). Then it reconnects the stream to B at once (SSE with
 * {@code Last-Event-ID}, WebSocket with {@code ?after=}), records when, and checks that
 * B's first tick is the next one. Streams on B stay open.</li>
 * <li>Prints {@code RESULT ...} once every stream has been reconnected and has its first
 * tick from B, or {@code deadlineMs} after {@code READY}, and writes one line per stream
 * to {@code eventsFile}: {@code kind index endEpochMs how reconnectEpochMs
 * firstTickAtBEpochMs resumed}, 0 for what did not happen.</li>
 * </ol>
 */
public class StreamHandOffClient {

	private static final String HOST = "127.0.0.1";

	private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

	private final int portA;

	private final int portB;

	private final int sse;

	private final int total;

	private final long[] endMs;

	private final String[] how;

	private final long[] reconnectMs;

	private final long[] firstTickAtBMs;

	/** 1 when B's first tick was the one after the last tick seen on A, -1 when not. */
	private final int[] resumed;

	private final long[] lastTick;

	private final CountDownLatch firstTicks;

	private final CountDownLatch done;

	private final AtomicBoolean closing = new AtomicBoolean();

	private final Map<String, Integer> reconnectFailures = new TreeMap<>();

	private final Map<String, Integer> cuts = new TreeMap<>();

	StreamHandOffClient(int portA, int portB, int sse, int ws) {
		this.portA = portA;
		this.portB = portB;
		this.sse = sse;
		this.total = sse + ws;
		this.endMs = new long[this.total];
		this.how = new String[this.total];
		this.reconnectMs = new long[this.total];
		this.firstTickAtBMs = new long[this.total];
		this.resumed = new int[this.total];
		this.lastTick = new long[this.total];
		this.firstTicks = new CountDownLatch(this.total);
		this.done = new CountDownLatch(this.total);
	}

	public static void main(String[] args) throws Exception {
		if (args.length != 8) {
			System.err.println("usage: StreamHandOffClient <portA> <portB> <sseStreams> <wsStreams> <connectMs>"
					+ " <readyTimeoutMs> <deadlineMs> <eventsFile>");
			System.exit(2);
		}
		StreamHandOffClient client = new StreamHandOffClient(Integer.parseInt(args[0]), Integer.parseInt(args[1]),
				Integer.parseInt(args[2]), Integer.parseInt(args[3]));
		client.run(Long.parseLong(args[4]), Long.parseLong(args[5]), Long.parseLong(args[6]), Path.of(args[7]));
	}

	void run(long connectMs, long readyTimeoutMs, long deadlineMs, Path eventsFile) throws Exception {
		long start = System.nanoTime();
		for (int i = 0; i < this.total; i++) {
			sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(connectMs * i / this.total));
			int id = i;
			Thread.ofVirtual().name(((id < this.sse) ? "sse-" : "ws-") + id).start(() -> streamOnA(id));
		}
		log("opened " + this.total + " streams in " + elapsedMs(start) + " ms");
		long readyBy = start + TimeUnit.MILLISECONDS.toNanos(readyTimeoutMs);
		while (!this.firstTicks.await(1, TimeUnit.SECONDS) && System.nanoTime() < readyBy) {
			log("first tick on " + (this.total - this.firstTicks.getCount()) + " of " + this.total);
		}
		long open = this.total - this.firstTicks.getCount();
		long endedEarly = this.total - this.done.getCount();
		System.out.println("READY open=" + open + " of=" + this.total + " endedBeforeReady=" + endedEarly
				+ " afterMs=" + elapsedMs(start) + ((open < this.total) ? " NOT_ALL_OPEN" : ""));
		System.out.flush();

		boolean all = this.done.await(deadlineMs, TimeUnit.MILLISECONDS);
		this.closing.set(true);
		report(all, eventsFile);
		System.exit(0);
	}

	private void streamOnA(int id) {
		long[] last = { 0 };
		String outcome;
		try (Socket socket = new Socket()) {
			outcome = read(socket, this.portA, id, 0, last, false);
		}
		catch (Exception ex) {
			cutBy(ex);
			outcome = "cut";
		}
		if (this.how[id] == null) {
			ended(id, outcome);
		}
		else {
			this.how[id] = outcome;
		}
		streamOnB(id, last[0]);
	}

	private void streamOnB(int id, long after) {
		this.reconnectMs[id] = System.currentTimeMillis();
		for (int attempt = 1;; attempt++) {
			long[] last = { after };
			try (Socket socket = new Socket()) {
				read(socket, this.portB, id, after, last, true);
				return;
			}
			catch (Exception ex) {
				if (this.firstTickAtBMs[id] != 0 || this.closing.get()) {
					return;
				}
				String kind = (id < this.sse) ? "sse: " : "ws: ";
				if (!retry(kind + ex.getClass().getSimpleName() + ": " + ex.getMessage(), attempt)) {
					return;
				}
			}
		}
	}

	private String read(Socket socket, int port, int id, long after, long[] last, boolean onB) throws IOException {
		return (id < this.sse) ? readSse(socket, port, id, after, last, onB)
				: readWebSocket(socket, port, id, after, last, onB);
	}

	// SSE

	/**
	 * Read one {@code /ticker} stream; on B, until the client closes.
	 * @return how it ended
	 */
	private String readSse(Socket socket, int port, int id, long after, long[] last, boolean onB)
			throws IOException {
		socket.connect(new InetSocketAddress(HOST, port), 20_000);
		String request = "GET /ticker HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: text/event-stream\r\n"
				+ ((after > 0) ? "Last-Event-ID: " + after + "\r\n" : "") + "\r\n";
		OutputStream out = socket.getOutputStream();
		out.write(request.getBytes(StandardCharsets.ISO_8859_1));
		out.flush();
		InputStream in = new BufferedInputStream(socket.getInputStream(), 512);
		String status = readLine(in);
		if (!status.startsWith("HTTP/1.1 200")) {
			throw new IOException("status " + status);
		}
		boolean chunked = false;
		for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
			if (line.toLowerCase().startsWith("transfer-encoding:") && line.toLowerCase().contains("chunked")) {
				chunked = true;
			}
		}
		if (!chunked) {
			throw new IOException("not chunked");
		}
		boolean shutdownEvent = false;
		StringBuilder pending = new StringBuilder();
		String event = null;
		long eventId = -1;
		boolean first = true;
		try {
			while (true) {
				String sizeLine = readLine(in);
				int semicolon = sizeLine.indexOf(';');
				int size = Integer.parseInt((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine.trim(), 16);
				if (size == 0) {
					readLine(in);
					return shutdownEvent ? "clean" : "end-without-event";
				}
				byte[] chunk = in.readNBytes(size);
				if (chunk.length < size) {
					throw new EOFException();
				}
				readLine(in);
				pending.append(new String(chunk, StandardCharsets.UTF_8));
				int newline;
				while ((newline = pending.indexOf("\n")) >= 0) {
					String line = pending.substring(0, newline);
					pending.delete(0, newline + 1);
					if (line.endsWith("\r")) {
						line = line.substring(0, line.length() - 1);
					}
					if (line.isEmpty()) {
						if ("shutdown".equals(event)) {
							shutdownEvent = true;
						}
						else if (eventId >= 0) {
							if (first) {
								first = false;
								firstTick(id, eventId, after, onB);
							}
							last[0] = eventId;
							this.lastTick[id] = eventId;
						}
						event = null;
						eventId = -1;
					}
					else if (line.startsWith("id:")) {
						eventId = Long.parseLong(line.substring(3).trim());
					}
					else if (line.startsWith("event:")) {
						event = line.substring(6).trim();
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			if (onB) {
				throw ex;
			}
			cutBy(ex);
			return shutdownEvent ? "event-then-cut" : "cut";
		}
	}

	// WebSocket

	/**
	 * Read one {@code /ticks} WebSocket (a minimal client: the handshake, unfragmented or
	 * fragmented text frames, ping, close); on B, until the client closes.
	 * @return how it ended: the close code, or {@code cut}
	 */
	private String readWebSocket(Socket socket, int port, int id, long after, long[] last, boolean onB)
			throws IOException {
		socket.connect(new InetSocketAddress(HOST, port), 20_000);
		String request = "GET /ticks" + ((after > 0) ? "?after=" + after : "") + " HTTP/1.1\r\nHost: " + HOST + ":"
				+ port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY
				+ "\r\nSec-WebSocket-Version: 13\r\n\r\n";
		OutputStream out = socket.getOutputStream();
		out.write(request.getBytes(StandardCharsets.ISO_8859_1));
		out.flush();
		InputStream in = new BufferedInputStream(socket.getInputStream(), 512);
		String status = readLine(in);
		if (!status.startsWith("HTTP/1.1 101")) {
			throw new IOException("status " + status);
		}
		while (!readLine(in).isEmpty()) {
			// headers
		}
		ByteArrayOutputStream text = new ByteArrayOutputStream(64);
		boolean first = true;
		try {
			while (true) {
				int b0 = in.read();
				int b1 = in.read();
				if (b0 < 0 || b1 < 0) {
					throw new EOFException();
				}
				int opcode = b0 & 0x0F;
				long length = b1 & 0x7F;
				if (length == 126) {
					length = (readByte(in) << 8) | readByte(in);
				}
				else if (length == 127) {
					length = 0;
					for (int i = 0; i < 8; i++) {
						length = (length << 8) | readByte(in);
					}
				}
				byte[] mask = ((b1 & 0x80) != 0) ? readFully(in, 4) : null;
				byte[] payload = readFully(in, (int) length);
				if (mask != null) {
					for (int i = 0; i < payload.length; i++) {
						payload[i] ^= mask[i % 4];
					}
				}
				if (opcode == 0x8) {
					int code = (payload.length >= 2) ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
					String outcome = Integer.toString(code);
					if (onB) {
						throw new EOFException("closed by B: " + outcome);
					}
					// Answer the close frame, as a client must; the server then closes the connection.
					ended(id, outcome);
					writeFrame(out, 0x8, Arrays.copyOf(payload, Math.min(payload.length, 2)));
					return outcome;
				}
				if (opcode == 0x9) {
					writeFrame(out, 0xA, payload);
					continue;
				}
				if (opcode == 0x1 || opcode == 0x0) {
					text.write(payload);
					if ((b0 & 0x80) == 0) {
						continue;
					}
					String message = text.toString(StandardCharsets.UTF_8);
					text.reset();
					if (message.startsWith("tick ")) {
						long n = Long.parseLong(message.substring(5).trim());
						if (first) {
							first = false;
							firstTick(id, n, after, onB);
						}
						last[0] = n;
						this.lastTick[id] = n;
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			if (onB) {
				throw ex;
			}
			cutBy(ex);
			return "cut";
		}
	}

	/** A client frame: final, masked. */
	private static void writeFrame(OutputStream out, int opcode, byte[] payload) throws IOException {
		byte[] mask = new byte[4];
		ThreadLocalRandom.current().nextBytes(mask);
		byte[] frame = new byte[2 + 4 + payload.length];
		frame[0] = (byte) (0x80 | opcode);
		frame[1] = (byte) (0x80 | payload.length);
		System.arraycopy(mask, 0, frame, 2, 4);
		for (int i = 0; i < payload.length; i++) {
			frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
		}
		out.write(frame);
		out.flush();
	}

	// Bookkeeping

	private void firstTick(int id, long n, long after, boolean onB) {
		if (!onB) {
			this.firstTicks.countDown();
			return;
		}
		this.firstTickAtBMs[id] = System.currentTimeMillis();
		this.resumed[id] = (n == after + 1) ? 1 : -1;
		this.done.countDown();
	}

	private void ended(int id, String outcome) {
		this.endMs[id] = System.currentTimeMillis();
		this.how[id] = outcome;
	}

	/** Count why a stream on A ended without its clean end. */
	private void cutBy(Exception ex) {
		synchronized (this.cuts) {
			this.cuts.merge((ex.getClass().getSimpleName() + ": " + ex.getMessage()).replace('\n', ' '), 1,
					Integer::sum);
		}
	}

	/** Count a failed reconnection to B; retries 20 times, 100 ms apart. */
	private boolean retry(String reason, int attempt) {
		synchronized (this.reconnectFailures) {
			this.reconnectFailures.merge(reason.replace('\n', ' '), 1, Integer::sum);
		}
		if (this.closing.get() || attempt >= 20) {
			return false;
		}
		try {
			Thread.sleep(100);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		return true;
	}

	private void report(boolean all, Path eventsFile) throws IOException {
		Map<String, Integer> outcomes = new TreeMap<>();
		List<Long> reconnects = new ArrayList<>();
		int resumedOk = 0, resumedWrong = 0, atB = 0;
		try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(eventsFile))) {
			for (int i = 0; i < this.total; i++) {
				String kind = (i < this.sse) ? "sse" : "ws";
				String outcome = (this.how[i] != null) ? this.how[i] : "open";
				outcomes.merge(kind + ":" + outcome, 1, Integer::sum);
				if (this.reconnectMs[i] > 0) {
					reconnects.add(this.reconnectMs[i]);
				}
				if (this.firstTickAtBMs[i] > 0) {
					atB++;
				}
				resumedOk += (this.resumed[i] == 1) ? 1 : 0;
				resumedWrong += (this.resumed[i] == -1) ? 1 : 0;
				out.println(kind + " " + i + " " + this.endMs[i] + " " + outcome + " " + this.reconnectMs[i] + " "
						+ this.firstTickAtBMs[i] + " " + this.resumed[i]);
			}
		}
		long[] times = reconnects.stream().mapToLong(Long::longValue).sorted().toArray();
		StringBuilder how = new StringBuilder();
		outcomes.forEach((key, count) -> how.append((how.length() > 0) ? "," : "").append(key).append('=').append(count));
		this.cuts.forEach((reason, count) -> System.out.println("CUT count=" + count + " reason=" + reason));
		this.reconnectFailures.forEach((reason, count) -> System.out.println("RECONNECT_FAILURE count=" + count
				+ " reason=" + reason));
		System.out.println("RESULT streams=" + this.total + " ended=" + (this.total - countNull()) + " reconnected="
				+ times.length + " tickAtB=" + atB + " resumed=" + resumedOk + " resumedWrong=" + resumedWrong
				+ " peak100ms=" + peak(times, 100) + " peak1s=" + peak(times, 1000) + " firstReconnectEpochMs="
				+ ((times.length > 0) ? times[0] : 0) + " lastReconnectEpochMs="
				+ ((times.length > 0) ? times[times.length - 1] : 0) + " allDone=" + all + " how=" + how);
		System.out.flush();
	}

	private int countNull() {
		return (int) Arrays.stream(this.how).filter((h) -> h == null).count();
	}

	/** The most reconnections in any window of {@code windowMs}. */
	private static int peak(long[] sorted, long windowMs) {
		int best = 0;
		for (int from = 0, to = 0; to < sorted.length; to++) {
			while (sorted[to] - sorted[from] >= windowMs) {
				from++;
			}
			best = Math.max(best, to - from + 1);
		}
		return best;
	}

	private static int readByte(InputStream in) throws IOException {
		int b = in.read();
		if (b < 0) {
			throw new EOFException();
		}
		return b;
	}

	private static byte[] readFully(InputStream in, int length) throws IOException {
		byte[] bytes = in.readNBytes(length);
		if (bytes.length < length) {
			throw new EOFException();
		}
		return bytes;
	}

	private static String readLine(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream(64);
		int b;
		while ((b = in.read()) != '\n') {
			if (b < 0) {
				throw new EOFException();
			}
			if (b != '\r') {
				line.write(b);
			}
		}
		return line.toString(StandardCharsets.ISO_8859_1);
	}

	private static void sleepUntil(long nanoTime) throws InterruptedException {
		long wait = nanoTime - System.nanoTime();
		if (wait > 0) {
			TimeUnit.NANOSECONDS.sleep(wait);
		}
	}

	private static long elapsedMs(long start) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
	}

	private static void log(String message) {
		System.out.println("# " + message);
		System.out.flush();
	}

}
