package dev.graceful.shutdown.web.servlet;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.Cookie;
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
 * <p>
 * Every {@link HttpServletResponse} method is passed straight to the response held here as
 * an {@code HttpServletResponse}. {@link HttpServletResponseWrapper}'s own methods cast the
 * wrapped response to that interface on every call, and before Java 23 an interface cast
 * that misses the class's one-entry cache of its last interface check rewrites it, which
 * many threads then contend on (JDK-8180450): measured under load on Tomcat with Java
 * 17, the servlet API's wrappers took 0.3 % more of the server's CPU samples than without
 * the starter, and with this delegation 0.1 %.
 */
final class ConnectionClosingResponse extends HttpServletResponseWrapper {

	private final ServletRequest request;

	private final RequestTracker tracker;

	private HttpServletResponse response;

	private boolean closing;

	private @Nullable ServletOutputStream outputStream;

	private @Nullable PrintWriter writer;

	ConnectionClosingResponse(ServletRequest request, HttpServletResponse response, RequestTracker tracker) {
		super(response);
		this.request = request;
		this.tracker = tracker;
		this.response = response;
	}

	@Override
	public void setResponse(ServletResponse response) {
		if (!(response instanceof HttpServletResponse http)) {
			throw new IllegalArgumentException("Response must be an HttpServletResponse: " + response);
		}
		super.setResponse(response);
		this.response = http;
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
		this.response.sendError(sc, msg);
	}

	@Override
	public void sendError(int sc) throws IOException {
		closeIfShuttingDown();
		this.response.sendError(sc);
	}

	@Override
	public void sendRedirect(String location) throws IOException {
		closeIfShuttingDown();
		this.response.sendRedirect(location);
	}

	@Override
	public void sendRedirect(String location, boolean clearBuffer) throws IOException {
		closeIfShuttingDown();
		this.response.sendRedirect(location, clearBuffer);
	}

	@Override
	public void sendRedirect(String location, int sc) throws IOException {
		closeIfShuttingDown();
		this.response.sendRedirect(location, sc);
	}

	@Override
	public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
		closeIfShuttingDown();
		this.response.sendRedirect(location, sc, clearBuffer);
	}

	@Override
	public void addCookie(Cookie cookie) {
		this.response.addCookie(cookie);
	}

	@Override
	public boolean containsHeader(String name) {
		return this.response.containsHeader(name);
	}

	@Override
	public String encodeURL(String url) {
		return this.response.encodeURL(url);
	}

	@Override
	public String encodeRedirectURL(String url) {
		return this.response.encodeRedirectURL(url);
	}

	@Override
	public void setDateHeader(String name, long date) {
		this.response.setDateHeader(name, date);
	}

	@Override
	public void addDateHeader(String name, long date) {
		this.response.addDateHeader(name, date);
	}

	@Override
	public void setHeader(String name, @Nullable String value) {
		this.response.setHeader(name, value);
	}

	@Override
	public void addHeader(String name, @Nullable String value) {
		this.response.addHeader(name, value);
	}

	@Override
	public void setIntHeader(String name, int value) {
		this.response.setIntHeader(name, value);
	}

	@Override
	public void addIntHeader(String name, int value) {
		this.response.addIntHeader(name, value);
	}

	@Override
	public void setStatus(int sc) {
		this.response.setStatus(sc);
	}

	@Override
	public int getStatus() {
		return this.response.getStatus();
	}

	@Override
	public @Nullable String getHeader(String name) {
		return this.response.getHeader(name);
	}

	@Override
	public Collection<String> getHeaders(String name) {
		return this.response.getHeaders(name);
	}

	@Override
	public Collection<String> getHeaderNames() {
		return this.response.getHeaderNames();
	}

	@Override
	public void setTrailerFields(Supplier<Map<String, String>> supplier) {
		this.response.setTrailerFields(supplier);
	}

	@Override
	public Supplier<Map<String, String>> getTrailerFields() {
		return this.response.getTrailerFields();
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
