package dev.graceful.shutdown.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.boot.context.metrics.buffering.StartupTimeline;
import org.springframework.context.ApplicationListener;
import org.springframework.core.metrics.StartupStep;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * An ordinary service, with nothing of the starter's in its code, so that it runs with
 * the starter's jars on the class path and without them.
 * Once started it prints the CPU time the process and its main thread have used
 * ("Started after CPU time N ms, main thread M ms, main thread allocated A KB").
 * <p>
 * With {@code -Dbench.startup-steps=<prefix>} it records Spring's startup steps
 * ({@link BufferingApplicationStartup}) and, once started, prints the time of every bean
 * whose name or class contains the text (for example {@code dev.graceful}), its own
 * time without the beans created inside it, and their sum.
 * <p>
 * With {@code -Dbench.startup-allocation=true} it prints, before the started line, the
 * bytes the main thread allocated in each of Spring's startup steps, less the steps
 * inside it ({@link AllocationStartup}): run it with and without the starter and compare
 * the lines to see which step the difference is in.
 * <p>
 * With {@code -Dbench.halt-when-started=true} it halts the JVM right after the started
 * line, without a shutdown, so that a tool that reports when the process exits (valgrind,
 * in {@code bench/startup-instructions.sh}) measures the startup and nothing after it.
 * <p>
 * With {@code -Dbench.await-preinit=true} the main thread waits, once the application is
 * prepared, for Spring Boot's background preinitialization thread to end, as it has by
 * then in a start with a processor to spare: under valgrind, which runs one thread at a
 * time, the main thread's count then holds what it does in such a start, whichever thread
 * valgrind happened to run first.
 */
@SpringBootApplication
@RestController
public class StartupBenchApplication {

	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(StartupBenchApplication.class);
		String prefix = System.getProperty("bench.startup-steps");
		BufferingApplicationStartup startup = null;
		if (prefix != null) {
			startup = new BufferingApplicationStartup(100_000);
			application.setApplicationStartup(startup);
		}
		AllocationStartup allocation = null;
		if (Boolean.getBoolean("bench.startup-allocation")) {
			allocation = new AllocationStartup();
			application.setApplicationStartup(allocation);
		}
		if (Boolean.getBoolean("bench.await-preinit")) {
			application.addListeners(new AwaitPreinitialization());
		}
		application.run(args);
		if (allocation != null) {
			allocation.print(10_000);
		}
		// CPU time of the whole process (every thread) up to here: less sensitive than the
		// wall time to what else runs on the machine. The main thread's, where the context
		// is refreshed, leaves out the JIT compiler and the garbage collector too.
		long mainCpuMillis = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1_000_000;
		// The bytes the main thread allocated: a measure of the work done that the rest of
		// the machine does not disturb at all (and the JIT compiler little).
		long mainAllocatedKb = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
			.getCurrentThreadAllocatedBytes() / 1024;
		ProcessHandle.current().info().totalCpuDuration().ifPresent((cpu) -> System.out
			.println("Started after CPU time " + cpu.toMillis() + " ms, main thread " + mainCpuMillis
					+ " ms, main thread allocated " + mainAllocatedKb + " KB"));
		if (startup != null) {
			printSteps(startup.getBufferedTimeline(), prefix);
		}
		if (Boolean.getBoolean("bench.halt-when-started")) {
			// Ends the process here, without a shutdown, so that a tool that reports when the
			// process exits (valgrind's instruction count) covers the startup only.
			System.out.flush();
			Runtime.getRuntime().halt(0);
		}
	}

	private static void printSteps(StartupTimeline timeline, String prefix) {
		Map<Long, Duration> childTime = new HashMap<>();
		for (StartupTimeline.TimelineEvent event : timeline.getEvents()) {
			Long parent = event.getStartupStep().getParentId();
			if (parent != null) {
				childTime.merge(parent, event.getDuration(), Duration::plus);
			}
		}
		List<String> lines = new ArrayList<>();
		long totalNanos = 0;
		for (StartupTimeline.TimelineEvent event : timeline.getEvents()) {
			StartupStep step = event.getStartupStep();
			String subject = null;
			for (StartupStep.Tag tag : step.getTags()) {
				if (tag.getValue().contains(prefix)) {
					subject = tag.getKey() + "=" + tag.getValue();
				}
			}
			if (subject == null) {
				continue;
			}
			Duration own = event.getDuration().minus(childTime.getOrDefault(step.getId(), Duration.ZERO));
			totalNanos += own.toNanos();
			lines.add(String.format("%8.2f ms own %8.2f ms total  %s %s", own.toNanos() / 1e6,
					event.getDuration().toNanos() / 1e6, step.getName(), subject));
		}
		lines.forEach(System.out::println);
		System.out.printf("STEPS %d matching '%s', own time %.1f ms%n", lines.size(), prefix, totalNanos / 1e6);
	}

	/**
	 * Waits for Spring Boot's background preinitialization thread to end.
	 */
	static final class AwaitPreinitialization implements ApplicationListener<ApplicationPreparedEvent> {

		@Override
		public void onApplicationEvent(ApplicationPreparedEvent event) {
			for (Thread thread : Thread.getAllStackTraces().keySet()) {
				if (thread.getName().equals("background-preinit")) {
					try {
						thread.join(Duration.ofMinutes(5).toMillis());
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
			}
		}

	}

	@GetMapping("/hello")
	String hello() {
		return "hello";
	}

}
