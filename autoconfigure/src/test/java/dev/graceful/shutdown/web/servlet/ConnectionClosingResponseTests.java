package dev.graceful.shutdown.web.servlet;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link ConnectionClosingResponse}'s delegation, which bypasses
 * {@link jakarta.servlet.http.HttpServletResponseWrapper}'s own.
 */
class ConnectionClosingResponseTests {

	private final ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));

	private final MockHttpServletRequest request = new MockHttpServletRequest("GET", "/work");

	private final MockHttpServletResponse first = new MockHttpServletResponse();

	private final ConnectionClosingResponse response = new ConnectionClosingResponse(this.request, this.first,
			new RequestTracker(this.progress, List.of()));

	@Test
	void headerAndStatusCallsReachTheWrappedResponse() {
		this.response.setStatus(201);
		this.response.setHeader("X-One", "1");
		this.response.addHeader("X-One", "2");
		this.response.setIntHeader("X-Int", 7);
		this.response.addDateHeader("X-Date", 0);
		assertThat(this.first.getStatus()).isEqualTo(201);
		assertThat(this.first.getHeaders("X-One")).containsExactly("1", "2");
		assertThat(this.response.getStatus()).isEqualTo(201);
		assertThat(this.response.getHeader("X-Int")).isEqualTo("7");
		assertThat(this.response.containsHeader("X-Date")).isTrue();
		assertThat(this.response.getHeaderNames()).containsExactlyInAnyOrder("X-One", "X-Int", "X-Date");
	}

	@Test
	void replacedResponseReceivesTheCallsFromThenOn() throws Exception {
		MockHttpServletResponse second = new MockHttpServletResponse();
		this.response.setResponse(second);
		this.response.setStatus(202);
		this.response.setHeader("X-Two", "2");
		assertThat(second.getStatus()).isEqualTo(202);
		assertThat(second.getHeader("X-Two")).isEqualTo("2");
		assertThat(this.first.getStatus()).isEqualTo(200);
		assertThat(this.first.getHeader("X-Two")).isNull();
		this.progress.begin();
		this.response.sendError(503);
		assertThat(second.getStatus()).isEqualTo(503);
		assertThat(second.getHeader("Connection")).isEqualTo("close");
	}

	@Test
	void replacingWithResponseThatIsNotHttpIsRefused() {
		var notHttp = new jakarta.servlet.ServletResponseWrapper(this.first) {
		};
		assertThatIllegalArgumentException().isThrownBy(() -> this.response.setResponse(notHttp))
			.withMessageContaining("HttpServletResponse");
		this.response.setStatus(204);
		assertThat(this.first.getStatus()).isEqualTo(204);
	}

}
