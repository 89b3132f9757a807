package dev.graceful.shutdown.web.servlet;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.web.RequestTracker;

/**
 * Adds {@code Connection: close} to a response whose request arrived before the
 * shutdown but whose headers are sent after it started. Headers go out when the response
 * is committed (the first flush, or a write past the buffer), so every operation that can
 * commit checks first. Without this, a long request that ends during the drain keeps its
 * connection alive, the client reuses it, and the paused server closes it with no answer.
 */
final class ConnectionClosingResponse extends HttpServletResponseWrapper {

	private final ServletRequest request;

	private final RequestTracker tracker;

	private boolean closing;

	private @Nullable ServletOutputStream outputStream;

	private @Nullable PrintWriter writer;

	ConnectionClosingResponse(ServletRequest request, HttpServletResponse response, RequestTracker tracker) {
		super(response);
		this.request = request;
		this.tracker = tracker;
	}

	/**
	 * Add {@code Connection: close} if the shutdown has started and the headers have not
	 * been sent yet.
	 */
	void closeIfShuttingDown() {
		if (!this.closing && this.tracker.isShuttingDown()) {
			this.closing = true;
			if (!isCommitted() && InFlightRequestFilter.isHttp1(this.request)) {
				setHeader("Connection", "close");
			}
		}
	}

	@Override
	public ServletOutputStream getOutputStream() throws IOException {
		ServletOutputStream outputStream = this.outputStream;
		if (outputStream == null) {
			outputStream = new ClosingOutputStream(super.getOutputStream());
			this.outputStream = outputStream;
		}
		return outputStream;
	}

	@Override
	public PrintWriter getWriter() throws IOException {
		PrintWriter writer = this.writer;
		if (writer == null) {
			writer = new PrintWriter(new ClosingWriter(super.getWriter()));
			this.writer = writer;
		}
		return writer;
	}

	@Override
	public void flushBuffer() throws IOException {
		closeIfShuttingDown();
		super.flushBuffer();
	}

	@Override
	public void sendError(int sc, @Nullable String msg) throws IOException {
		closeIfShuttingDown();
		super.sendError(sc, msg);
	}

	@Override
	public void sendError(int sc) throws IOException {
		closeIfShuttingDown();
		super.sendError(sc);
	}

	@Override
	public void sendRedirect(String location) throws IOException {
		closeIfShuttingDown();
		super.sendRedirect(location);
	}

	@Override
	public void sendRedirect(String location, boolean clearBuffer) throws IOException {
		closeIfShuttingDown();
		super.sendRedirect(location, clearBuffer);
	}

	@Override
	public void sendRedirect(String location, int sc) throws IOException {
		closeIfShuttingDown();
		super.sendRedirect(location, sc);
	}

	@Override
	public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
		closeIfShuttingDown();
		super.sendRedirect(location, sc, clearBuffer);
	}

	private final class ClosingOutputStream extends ServletOutputStream {

		private final ServletOutputStream delegate;

		ClosingOutputStream(ServletOutputStream delegate) {
			this.delegate = delegate;
		}

		@Override
		public void write(int b) throws IOException {
			closeIfShuttingDown();
			this.delegate.write(b);
		}

		@Override
		public void write(byte[] b, int off, int len) throws IOException {
			closeIfShuttingDown();
			this.delegate.write(b, off, len);
		}

		@Override
		public void write(ByteBuffer buffer) throws IOException {
			closeIfShuttingDown();
			this.delegate.write(buffer);
		}

		@Override
		public void flush() throws IOException {
			closeIfShuttingDown();
			this.delegate.flush();
		}

		@Override
		public void close() throws IOException {
			closeIfShuttingDown();
			this.delegate.close();
		}

		@Override
		public boolean isReady() {
			return this.delegate.isReady();
		}

		@Override
		public void setWriteListener(WriteListener writeListener) {
			this.delegate.setWriteListener(writeListener);
		}

	}

	private final class ClosingWriter extends Writer {

		private final Writer delegate;

		ClosingWriter(Writer delegate) {
			this.delegate = delegate;
		}

		@Override
		public void write(char[] cbuf, int off, int len) throws IOException {
			closeIfShuttingDown();
			this.delegate.write(cbuf, off, len);
		}

		@Override
		public void write(String str, int off, int len) throws IOException {
			closeIfShuttingDown();
			this.delegate.write(str, off, len);
		}

		@Override
		public void flush() throws IOException {
			closeIfShuttingDown();
			this.delegate.flush();
		}

		@Override
		public void close() throws IOException {
			closeIfShuttingDown();
			this.delegate.close();
		}

	}

}
