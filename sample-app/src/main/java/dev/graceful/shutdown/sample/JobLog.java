package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A log file of jobs that several instances can share, written by the job listeners:
 * one short append per line, so that lines of several processes do not interleave.
 */
final class JobLog {

	private final Path file;

	JobLog(Path file) {
		this.file = file;
	}

	void append(String line) {
		try {
			Files.createDirectories(this.file.toAbsolutePath().getParent());
			Files.writeString(this.file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
