package dev.graceful.shutdown.autoconfigure;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.graceful.shutdown.testsupport.ChildJvm;
import dev.graceful.shutdown.testsupport.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application with the starter can be processed ahead of time (what
 * {@code spring-boot:process-aot} and native images do) and run from the generated code
 * ({@code -Dspring.aot.enabled=true}) with its shutdown handled as without it. Spring's
 * own processor, in a child JVM, processes {@link AheadOfTimeApplication}; the generated
 * sources are compiled; then the application runs from them in child JVMs that receive a
 * real SIGTERM. A request sent 500 ms after it is answered during the 2 s lame-duck delay;
 * with {@code graceful.shutdown.enabled=false} when processing and when running (the
 * control) the same request finds the server gone, as plain Spring Boot does.
 */
class AheadOfTimeTests {

	private static final Pattern PORT = Pattern.compile("PORT (\\d+)");

	private static final Duration STARTUP = Duration.ofSeconds(90);

	@TempDir
	static Path temporary;

	private static Path processed;

	private static Path processedOff;

	@BeforeAll
	static void processAheadOfTime() throws Exception {
		processed = temporary.resolve("on");
		processedOff = temporary.resolve("off");
		process(processed);
		// The control: graceful shutdown off when processing, as the conditions of
		// auto-configurations are evaluated then, and when running.
		process(processedOff, "--graceful.shutdown.enabled=false");
	}

	private static void process(Path directory, String... args) throws Exception {
		Path sources = directory.resolve("sources");
		Path classes = directory.resolve("classes");
		List<String> processorArgs = new ArrayList<>(List.of(AheadOfTimeApplication.class.getName(),
				sources.toString(), directory.resolve("resources").toString(), classes.toString(), "dev.graceful",
				"aot-tests"));
		processorArgs.addAll(List.of(args));
		// What the Maven and Gradle plugins run: Spring Boot's processor, with the
		// application's main class.
		try (ChildJvm processor = ChildJvm.start("org.springframework.boot.SpringApplicationAotProcessor", List.of(),
				processorArgs)) {
			processor.awaitExit(STARTUP, 0);
		}
		List<String> arguments = new ArrayList<>(List.of("-d", classes.toString(), "-cp",
				System.getProperty("java.class.path"), "-proc:none", "-parameters", "-nowarn"));
		try (Stream<Path> files = Files.walk(sources)) {
			files.filter((file) -> file.toString().endsWith(".java")).forEach((file) -> arguments.add(file.toString()));
		}
		JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
		ByteArrayOutputStream errors = new ByteArrayOutputStream();
		int result = compiler.run(null, errors, errors, arguments.toArray(new String[0]));
		assertThat(result).as("compiling the generated sources: %s", errors.toString(StandardCharsets.UTF_8))
			.isZero();
	}

	@Test
	void generatedCodeRegistersTheStartersPartsAndHintsAtOnShutdownMethods() throws IOException {
		try (Stream<Path> files = Files.walk(processed.resolve("sources"))) {
			assertThat(files.map((file) -> file.getFileName().toString()))
				.contains("AheadOfTimeApplication__ApplicationContextInitializer.java",
						"GracefulShutdownAutoConfiguration__BeanDefinitions.java");
		}
		// A native image invokes @OnShutdown methods through reflection hints.
		String hints = hints();
		List<Object> methods = JsonPath.read(hints, "$.reflection[?(@.type == '"
				+ AheadOfTimeApplication.Resource.class.getName() + "')].methods[*].name");
		assertThat(methods).as("hints: %s", hints).contains("close");
	}

	@Test
	void processedApplicationKeepsServingThroughTheDelayAndRunsItsCleanups() throws Exception {
		Stopped stopped = runAndStop(processed);
		assertThat(stopped.lateResponse()).as("output: %s", stopped.output()).isEqualTo("200 hello");
		assertThat(stopped.output()).contains("Starting AOT-processed AheadOfTimeApplication")
			.contains("Graceful shutdown plan: delay 2000 ms")
			.contains("CLEANUP resource.close")
			.containsPattern("Graceful shutdown complete in \\d+ ms: readiness \\d+ ms COMPLETED, "
					+ "delay 2\\d{3} ms COMPLETED, drain \\d+ ms COMPLETED");
	}

	@Test
	void processedApplicationWithTheStarterOffLosesTheRequestSentAfterSigterm() throws Exception {
		Stopped stopped = runAndStop(processedOff, "--graceful.shutdown.enabled=false");
		assertThat(stopped.lateResponse()).as("output: %s", stopped.output()).startsWith("failed");
		assertThat(stopped.output()).contains("Starting AOT-processed AheadOfTimeApplication")
			.doesNotContain("Graceful shutdown plan")
			.doesNotContain("CLEANUP resource.close");
	}

	@Test
	void turningTheStarterOffOnlyWhenRunningFailsTheStartupNamingTheProperty() throws Exception {
		try (ChildJvm application = start(processed, "--graceful.shutdown.enabled=false")) {
			String output = application.awaitExit(STARTUP, 1);
			assertThat(output).contains("APPLICATION FAILED TO START")
				.contains("Invalid value for 'graceful.shutdown.enabled': false when the application runs, but it was "
						+ "processed ahead of time with graceful shutdown on")
				.contains("Set graceful.shutdown.enabled=false when the application is processed ahead of time "
						+ "as well");
		}
	}

	private static ChildJvm start(Path directory, String... args) throws IOException {
		return ChildJvm.start(AheadOfTimeApplication.class.getName(),
				List.of(directory.resolve("classes"), directory.resolve("resources")), List.of(args),
				"-Dspring.aot.enabled=true");
	}

	private static Stopped runAndStop(Path directory, String... args) throws Exception {
		try (ChildJvm application = start(directory, args)) {
			int port = Integer.parseInt(application.awaitOutput(PORT, STARTUP).group(1));
			assertThat(RawHttp.fetch(port, "/hello").body()).isEqualTo("hello");
			application.terminate();
			Thread.sleep(500);
			String late;
			try {
				RawHttp.Response response = new RawHttp(port).withConnectTimeout(Duration.ofSeconds(2))
					.withReadTimeout(Duration.ofSeconds(5))
					.withConnectionClose()
					.get("/hello");
				late = response.status() + " " + response.body();
			}
			catch (IOException ex) {
				late = "failed: " + ex;
			}
			// 128 + 15: the JVM ran its shutdown hooks after SIGTERM.
			return new Stopped(late, application.awaitExit(Duration.ofSeconds(60), 143));
		}
	}

	private static String hints() throws IOException {
		return Files.readString(processed
			.resolve("resources/META-INF/native-image/dev.graceful/aot-tests/reachability-metadata.json"));
	}

	private record Stopped(String lateResponse, String output) {
	}

}
