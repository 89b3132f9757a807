package dev.graceful.shutdown.report;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport;

/**
 * Writes the report of each shutdown to {@code graceful.shutdown.report.file} as JSON,
 * readable by its owner only, and reads the previous run's report at startup so that the
 * Actuator endpoint can show what happened last time.
 */
public final class ReportFile implements ShutdownListener {

	private static final Log logger = LogFactory.getLog(ReportFile.class);

	private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

	private final Path path;

	private final Path target;

	private final Path temporary;

	private final FileAttribute<?>[] ownerOnly;

	private final @Nullable ShutdownReport previous;

	public ReportFile(Path path) {
		this.path = path;
		// Everything but the write itself is worked out now: at shutdown every
		// millisecond is between the last request and the exit.
		this.target = path.toAbsolutePath();
		this.temporary = this.target.resolveSibling("." + this.target.getFileName() + "."
				+ Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
		this.ownerOnly = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
				? new FileAttribute<?>[] { PosixFilePermissions.asFileAttribute(OWNER_ONLY) } : new FileAttribute<?>[0];
		this.previous = readPrevious(path);
	}

	private static @Nullable ShutdownReport readPrevious(Path path) {
		if (!Files.isRegularFile(path)) {
			return null;
		}
		try {
			return ReportJson.read(Files.readString(path, StandardCharsets.UTF_8));
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Could not read the previous shutdown report from " + path + ": " + ex);
			return null;
		}
	}

	/**
	 * Return the report of the previous run, read at startup.
	 * @return the report, or {@code null} if there was none
	 */
	public @Nullable ShutdownReport previous() {
		return this.previous;
	}

	/**
	 * Return where reports are written.
	 * @return the file
	 */
	public Path path() {
		return this.path;
	}

	@Override
	public void shutdownCompleted(ShutdownReport report) {
		try {
			write(ReportJson.write(report));
			logger.info("Graceful shutdown: report written to " + this.path);
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Graceful shutdown: could not write the report to " + this.path + ": " + ex);
		}
	}

	private void write(String json) throws IOException {
		Path directory = this.target.getParent();
		if (directory != null) {
			Files.createDirectories(directory);
		}
		// Written whole to a private temporary file beside the report (its name random, so
		// that instances sharing a volume never write the same one), then moved: never
		// half a report, never readable by others even for a moment.
		Files.deleteIfExists(this.temporary);
		try {
			try (SeekableByteChannel channel = Files.newByteChannel(this.temporary,
					EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), this.ownerOnly)) {
				ByteBuffer bytes = ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
				while (bytes.hasRemaining()) {
					channel.write(bytes);
				}
			}
			Files.move(this.temporary, this.target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		finally {
			Files.deleteIfExists(this.temporary);
		}
	}

}
