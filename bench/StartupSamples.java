import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the main thread spends its time in the starter's code during the startup: reads JFR
 * recordings of {@code jdk.ExecutionSample} events and counts the main thread's samples, those
 * with a frame of a package (by default the starter's) on their stack, and those by the
 * outermost such frame (the entry into the starter: a registrar, a post-processor, a
 * listener), each with the calls under it that took the most samples. Samples are taken only
 * while the thread runs Java code, and a frame's share of them estimates its share of the
 * thread's time; with one sample a millisecond and a few starts, an entry of a few samples
 * is within the noise. The bench application's own classes ({@code <prefix>bench.}) are left
 * out. JDK only.
 *
 * <pre>java bench/StartupSamples.java &lt;package prefix&gt; &lt;recording.jfr&gt;...</pre>
 */
public final class StartupSamples {

	private static final int CALLEES_SHOWN = 4;

	private static final int CALLEE_DEPTH = 2;

	private StartupSamples() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length < 2) {
			System.err.println("usage: java bench/StartupSamples.java <package prefix> <recording.jfr>...");
			System.exit(2);
		}
		String prefix = args[0];
		int total = 0;
		int ours = 0;
		Map<String, Integer> byEntry = new HashMap<>();
		Map<String, Map<String, Integer>> callees = new HashMap<>();
		for (int i = 1; i < args.length; i++) {
			for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[i]))) {
				if (!event.getEventType().getName().equals("jdk.ExecutionSample") || !onMainThread(event)) {
					continue;
				}
				total++;
				RecordedStackTrace stack = event.getStackTrace();
				List<String> frames = (stack != null) ? methods(stack) : List.of();
				int entry = -1;
				for (int f = frames.size() - 1; f >= 0 && entry < 0; f--) {
					if (ours(frames.get(f), prefix)) {
						entry = f;
					}
				}
				if (entry < 0) {
					continue;
				}
				ours++;
				String name = frames.get(entry);
				byEntry.merge(name, 1, Integer::sum);
				List<String> under = new ArrayList<>();
				for (int f = entry - 1; f >= 0 && under.size() < CALLEE_DEPTH; f--) {
					under.add(frames.get(f));
				}
				String path = under.isEmpty() ? "(itself)" : String.join(" > ", under);
				callees.computeIfAbsent(name, (key) -> new HashMap<>()).merge(path, 1, Integer::sum);
			}
		}
		System.out.printf("main thread: %d samples, %d with a frame of %s on the stack (%.2f %%)%n", total, ours,
				prefix, (total > 0) ? 100.0 * ours / total : 0.0);
		for (Map.Entry<String, Integer> entry : sorted(byEntry)) {
			System.out.printf("%6d  %s%n", entry.getValue(), entry.getKey());
			List<Map.Entry<String, Integer>> paths = sorted(callees.get(entry.getKey()));
			for (Map.Entry<String, Integer> path : paths.subList(0, Math.min(CALLEES_SHOWN, paths.size()))) {
				System.out.printf("%12d  > %s%n", path.getValue(), path.getKey());
			}
		}
	}

	private static boolean onMainThread(RecordedEvent event) {
		RecordedThread thread = event.getThread("sampledThread");
		return thread != null && "main".equals(thread.getJavaName());
	}

	/** The stack's methods, innermost first. */
	private static List<String> methods(RecordedStackTrace stack) {
		List<String> methods = new ArrayList<>(stack.getFrames().size());
		for (RecordedFrame frame : stack.getFrames()) {
			// A lambda's class is named with its address, different in each start.
			String type = frame.getMethod().getType().getName().replaceFirst("\\$\\$Lambda.*", "\\$\\$Lambda");
			methods.add(type + "." + frame.getMethod().getName());
		}
		return methods;
	}

	private static boolean ours(String method, String prefix) {
		return method.startsWith(prefix) && !method.startsWith(prefix + "bench.");
	}

	private static List<Map.Entry<String, Integer>> sorted(Map<String, Integer> counts) {
		List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
		entries.sort(Collections.reverseOrder(Map.Entry.comparingByValue()));
		return entries;
	}

}
