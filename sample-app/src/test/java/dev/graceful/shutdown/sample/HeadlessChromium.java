package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A headless Chromium on a temporary profile, driven through the Chrome DevTools
 * Protocol over the JDK's WebSocket client: navigate its page and evaluate JavaScript
 * there. Host names other than {@code 127.0.0.1} do not resolve in it, so the browser
 * talks to nothing but the loopback address. {@link #close()} kills its whole process
 * tree and removes its temporary profile and files.
 */
final class HeadlessChromium implements AutoCloseable {

	/** The Debian package's launcher. */
	static final Path EXECUTABLE = Path.of("/usr/bin/chromium");

	private static final Duration START = Duration.ofSeconds(30);

	private static final Duration COMMAND = Duration.ofSeconds(15);

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final Set<Process> alive = ConcurrentHashMap.newKeySet();

	static {
		// Last resort for a test JVM that dies without closing it: no orphan browsers.
		Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(HeadlessChromium::kill),
				"chromium-reaper"));
	}

	private final Process process;

	private final Path directory;

	private final Path logFile;

	private final WebSocket page;

	private final AtomicInteger ids = new AtomicInteger();

	private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

	private HeadlessChromium(Process process, Path directory, Path logFile, WebSocket page) {
		this.process = process;
		this.directory = directory;
		this.logFile = logFile;
		this.page = page;
	}

	/**
	 * Fail with instructions if Chromium is not installed.
	 * @throws IllegalStateException naming the package to install
	 */
	static void requireInstalled() {
		if (!Files.isExecutable(EXECUTABLE)) {
			throw new IllegalStateException(EXECUTABLE + " not found: install the Debian package 'chromium' "
					+ "(apt-get install chromium), or run scripts/test-all.sh, which installs it");
		}
	}

	/**
	 * Start Chromium on {@code about:blank} and connect to its page.
	 * @param logFile where Chromium's output goes
	 * @return the running browser
	 * @throws Exception if it does not start or its page cannot be reached in time
	 */
	static HeadlessChromium start(Path logFile) throws Exception {
		requireInstalled();
		// The profile and Chromium's own temporary files (TMPDIR), all removed by close().
		Path directory = Files.createTempDirectory("chromium-");
		Path profile = Files.createDirectory(directory.resolve("profile"));
		Path tmp = Files.createDirectory(directory.resolve("tmp"));
		List<String> command = List.of(EXECUTABLE.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
				// Port 0: Chromium picks a free one and writes it to DevToolsActivePort.
				"--remote-debugging-port=0", "--user-data-dir=" + profile, "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-default-apps", "--disable-dev-shm-usage",
				"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank");
		Files.deleteIfExists(logFile);
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(logFile.toFile());
		builder.environment().put("TMPDIR", tmp.toString());
		Process process = null;
		try {
			process = builder.start();
			alive.add(process);
			HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
			int port = awaitDevToolsPort(process, profile.resolve("DevToolsActivePort"), logFile);
			String pageUrl = pageWebSocketUrl(http, port);
			Listener listener = new Listener();
			WebSocket page = http.newWebSocketBuilder()
				.connectTimeout(Duration.ofSeconds(5))
				.buildAsync(URI.create(pageUrl), listener)
				.get(COMMAND.toSeconds(), TimeUnit.SECONDS);
			HeadlessChromium chromium = new HeadlessChromium(process, directory, logFile, page);
			listener.chromium = chromium;
			return chromium;
		}
		catch (Exception ex) {
			if (process != null) {
				kill(process);
			}
			deleteRecursively(directory);
			throw ex;
		}
	}

	private static int awaitDevToolsPort(Process process, Path portFile, Path logFile) throws IOException {
		long deadline = System.nanoTime() + START.toNanos();
		while (System.nanoTime() - deadline < 0) {
			if (!process.isAlive()) {
				throw new IllegalStateException("chromium exited with code " + process.exitValue() + "; log "
						+ logFile + ":\n" + Files.readString(logFile, StandardCharsets.UTF_8));
			}
			if (Files.exists(portFile)) {
				List<String> lines = Files.readAllLines(portFile, StandardCharsets.UTF_8);
				if (!lines.isEmpty() && !lines.get(0).isBlank()) {
					return Integer.parseInt(lines.get(0).trim());
				}
			}
			SampleAppProcess.sleep(Duration.ofMillis(50));
		}
		throw new IllegalStateException("chromium wrote no DevToolsActivePort within " + START + "; log " + logFile);
	}

	private static String pageWebSocketUrl(HttpClient http, int port) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
			.timeout(Duration.ofSeconds(5))
			.build();
		long deadline = System.nanoTime() + START.toNanos();
		String last = "no answer";
		while (System.nanoTime() - deadline < 0) {
			HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
			last = response.body();
			for (JsonNode target : json.readTree(last)) {
				if (target.path("type").asString().equals("page") && target.has("webSocketDebuggerUrl")) {
					return target.get("webSocketDebuggerUrl").asString();
				}
			}
			SampleAppProcess.sleep(Duration.ofMillis(100));
		}
		throw new IllegalStateException("chromium lists no page within " + START + ": " + last);
	}

	/**
	 * Open a URL in the page.
	 * @param url the address
	 * @throws Exception if the navigation fails or does not answer in time
	 */
	void navigate(String url) throws Exception {
		JsonNode result = send("Page.navigate", Map.of("url", url));
		if (result.has("errorText")) {
			throw new IllegalStateException("Could not open " + url + ": " + result.get("errorText").asString());
		}
	}

	/**
	 * Evaluate a JavaScript expression in the page and return its value, as JSON.
	 * @param expression the expression
	 * @return its value ({@code returnByValue}), a missing node for {@code undefined}
	 * @throws Exception if it throws or does not answer in time
	 */
	JsonNode evaluate(String expression) throws Exception {
		JsonNode result = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
		if (result.has("exceptionDetails")) {
			throw new IllegalStateException(expression + " threw: " + result.get("exceptionDetails"));
		}
		return result.path("result").path("value");
	}

	private JsonNode send(String method, Map<String, Object> params) throws Exception {
		int id = this.ids.incrementAndGet();
		CompletableFuture<JsonNode> answer = new CompletableFuture<>();
		this.pending.put(id, answer);
		try {
			String message = json.writeValueAsString(Map.of("id", id, "method", method, "params", params));
			this.page.sendText(message, true).get(COMMAND.toSeconds(), TimeUnit.SECONDS);
			JsonNode response = answer.get(COMMAND.toSeconds(), TimeUnit.SECONDS);
			if (response.has("error")) {
				throw new IllegalStateException(method + " failed: " + response.get("error"));
			}
			return response.path("result");
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException(method + ": no answer from chromium within " + COMMAND, ex);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException(method + " failed", ex.getCause());
		}
		finally {
			this.pending.remove(id);
		}
	}

	private void received(String message) {
		JsonNode node = json.readTree(message);
		// Answers carry the id of their command; events (no id) are not asked for.
		if (node.has("id")) {
			CompletableFuture<JsonNode> answer = this.pending.get(node.get("id").asInt());
			if (answer != null) {
				answer.complete(node);
			}
		}
	}

	private void closed(Throwable cause) {
		this.pending.values()
			.forEach((answer) -> answer.completeExceptionally(
					(cause != null) ? cause : new IllegalStateException("DevTools connection closed")));
	}

	Path logFile() {
		return this.logFile;
	}

	/**
	 * Kill Chromium and all its processes, then remove its profile and temporary files.
	 */
	@Override
	public void close() {
		this.page.abort();
		kill(this.process);
		deleteRecursively(this.directory);
	}

	private static void kill(Process process) {
		// Its helpers first (renderer, GPU, zygotes), while they are still its descendants.
		List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
		tree.add(process.toHandle());
		tree.forEach(ProcessHandle::destroyForcibly);
		alive.remove(process);
		for (ProcessHandle handle : tree) {
			try {
				handle.onExit().get(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (ExecutionException | TimeoutException ex) {
				System.out.println("chromium process " + handle.pid() + " did not exit: " + ex);
			}
		}
	}

	private static void deleteRecursively(Path directory) {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not remove " + directory, ex);
		}
	}

	@Override
	public String toString() {
		return "chromium (pid " + this.process.pid() + ", log " + this.logFile + ")";
	}

	/**
	 * Collects the text frames of each message and hands complete messages over.
	 */
	private static final class Listener implements WebSocket.Listener {

		private final StringBuilder text = new StringBuilder();

		private volatile HeadlessChromium chromium;

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.text.append(data);
			if (last) {
				String message = this.text.toString();
				this.text.setLength(0);
				if (this.chromium != null) {
					this.chromium.received(message);
				}
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			if (this.chromium != null) {
				this.chromium.closed(null);
			}
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			if (this.chromium != null) {
				this.chromium.closed(error);
			}
		}

	}

}
