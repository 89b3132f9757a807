package dev.graceful.shutdown.web.servlet;

import java.io.IOException;
import java.time.Duration;

import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link InFlightRequestFilter}: requests that arrive before the shutdown and
 * commit their response after it started, through each way a response can be committed.
 */
class InFlightRequestFilterTests {

	private final ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));

	private final RequestTracker tracker = new RequestTracker(this.progress, java.util.List.of());

	private final InFlightRequestFilter filter = new InFlightRequestFilter(this.tracker, true);

	private final MockHttpServletRequest request = new MockHttpServletRequest("GET", "/work");

	private final MockHttpServletResponse response = new MockHttpServletResponse();

	@Test
	void responseWrittenBeforeShutdownKeepsConnectionOpen() throws Exception {
		this.filter.doFilter(this.request, this.response, (request, response) -> {
			response.getWriter().write("done");
			response.flushBuffer();
		});
		assertThat(this.response.getHeader("Connection")).isNull();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
	}

	@Test
	void responseWrittenAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.getWriter().write("done"));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void responseStreamFlushedAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> {
			response.getOutputStream().write(new byte[] { 1 });
			response.getOutputStream().flush();
		});
		assertThat(this.response.isCommitted()).isTrue();
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void emptyResponseAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.setStatus(204));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void errorSentAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.sendError(404));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void redirectSentAfterShutdownStartedClosesConnection() throws Exception {
		// What Spring MVC's RedirectView and "redirect:" view names call.
		doFilterStartingShutdownThen((response) -> response.sendRedirect("/elsewhere"));
		assertThat(this.response.getRedirectedUrl()).isEqualTo("/elsewhere");
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void redirectWithStatusSentAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.sendRedirect("/elsewhere", 303));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void redirectWithClearBufferSentAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.sendRedirect("/elsewhere", false));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void redirectWithStatusAndClearBufferSentAfterShutdownStartedClosesConnection() throws Exception {
		doFilterStartingShutdownThen((response) -> response.sendRedirect("/elsewhere", 302, true));
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void requestArrivingAfterShutdownStartedClosesConnection() throws Exception {
		this.progress.begin();
		this.filter.doFilter(this.request, this.response, (request, response) -> {
		});
		assertThat(this.response.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void connectionCloseDisabledKeepsConnectionOpenButStillCounts() throws Exception {
		InFlightRequestFilter filter = new InFlightRequestFilter(this.tracker, false);
		this.progress.begin();
		filter.doFilter(this.request, this.response, (request, response) -> response.getWriter().write("done"));
		assertThat(this.response.getHeader("Connection")).isNull();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
		assertThat(this.tracker.inFlight()).isZero();
	}

	@Test
	void requestIsCountedInFlightUntilChainReturns() throws Exception {
		this.filter.doFilter(this.request, this.response, (request, response) -> {
			assertThat(this.tracker.inFlight()).isEqualTo(1);
			assertThat(this.tracker.finishedCount()).isZero();
		});
		assertThat(this.tracker.inFlight()).isZero();
	}

	@Test
	void requestThatThrowsIsCountedOut() {
		assertThatIllegalStateException().isThrownBy(() -> this.filter.doFilter(this.request, this.response,
				(request, response) -> {
					throw new IllegalStateException("boom");
				}));
		assertThat(this.tracker.inFlight()).isZero();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
	}

	private void doFilterStartingShutdownThen(ResponseAction action) throws Exception {
		FilterChain chain = (request, response) -> {
			// The shutdown starts while the request is being processed.
			this.progress.begin();
			action.apply((HttpServletResponse) response);
		};
		this.filter.doFilter(this.request, this.response, chain);
		assertThat(this.tracker.inFlight()).isZero();
	}

	@FunctionalInterface
	private interface ResponseAction {

		void apply(HttpServletResponse response) throws IOException;

	}

}
