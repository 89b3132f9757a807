package dev.graceful.shutdown.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real RabbitMQ node of its own (Debian's {@code rabbitmq-server}, which the test command
 * installs): its own ports on 127.0.0.1, its own Erlang port mapper and its own data
 * under {@code target/}, stopped with the tests.
 */
public final class RabbitBroker implements AutoCloseable {

	private static final Path SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

	private final Process process;

	private final int port;

	private final int epmdPort;

	private final Path home;

	private RabbitBroker(Process process, int port, int epmdPort, Path home) {
		this.process = process;
		this.port = port;
		this.epmdPort = epmdPort;
		this.home = home;
	}

	/**
	 * Start a node and wait until it accepts connections.
	 * @return the running node
	 * @throws IOException if it cannot be started
	 * @throws InterruptedException if interrupted while waiting
	 */
	public static RabbitBroker start() throws IOException, InterruptedException {
		if (!Files.isExecutable(SERVER)) {
			throw new IllegalStateException(SERVER + " is missing: install Debian's rabbitmq-server "
					+ "(scripts/test-all.sh does)");
		}
		int port = freePort();
		int distPort = freePort();
		int epmdPort = freePort();
		Path home = Path.of("target", "rabbitmq-" + port).toAbsolutePath();
		Files.createDirectories(home);
		Files.writeString(home.resolve("enabled_plugins"), "[].\n");
		Files.writeString(home.resolve("rabbitmq.conf"), "loopback_users = none\n");
		ProcessBuilder builder = new ProcessBuilder(SERVER.toString()).redirectErrorStream(true)
			.redirectOutput(home.resolve("server.log").toFile());
		Map<String, String> env = builder.environment();
		env.put("HOME", home.toString());
		env.put("RABBITMQ_NODENAME", "graceful" + port + "@localhost");
		env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
		env.put("RABBITMQ_NODE_PORT", Integer.toString(port));
		env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
		env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
		env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
		env.put("RABBITMQ_MNESIA_BASE", home.resolve("mnesia").toString());
		env.put("RABBITMQ_LOG_BASE", home.resolve("log").toString());
		env.put("RABBITMQ_ENABLED_PLUGINS_FILE", home.resolve("enabled_plugins").toString());
		env.put("RABBITMQ_CONFIG_FILE", home.resolve("rabbitmq").toString());
		env.put("RABBITMQ_ADVANCED_CONFIG_FILE", home.resolve("advanced.config").toString());
		env.put("RABBITMQ_PID_FILE", home.resolve("pid").toString());
		RabbitBroker broker = new RabbitBroker(builder.start(), port, epmdPort, home);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (!broker.accepting()) {
			if (!broker.process.isAlive() || System.nanoTime() - deadline > 0) {
				broker.close();
				throw new IllegalStateException("RabbitMQ did not start; see " + home.resolve("server.log"));
			}
			Thread.sleep(200);
		}
		return broker;
	}

	/**
	 * Return the AMQP port on 127.0.0.1.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	private boolean accepting() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 500);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Stop the node, its Erlang VM and its port mapper.
	 */
	@Override
	public void close() throws InterruptedException {
		// The script runs the Erlang VM as a child: stop the whole tree, then the port
		// mapper the VM started as a daemon of its own.
		List<ProcessHandle> tree = this.process.descendants().toList();
		tree.forEach(ProcessHandle::destroy);
		this.process.destroy();
		for (ProcessHandle handle : tree) {
			handle.onExit().completeOnTimeout(handle, 20, TimeUnit.SECONDS).join();
			handle.destroyForcibly();
		}
		if (!this.process.waitFor(20, TimeUnit.SECONDS)) {
			this.process.destroyForcibly();
		}
		try {
			Process kill = new ProcessBuilder("epmd", "-port", Integer.toString(this.epmdPort), "-kill")
				.redirectErrorStream(true)
				.redirectOutput(this.home.resolve("epmd-kill.log").toFile())
				.start();
			kill.waitFor(10, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			// No epmd on the PATH: nothing to stop.
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
