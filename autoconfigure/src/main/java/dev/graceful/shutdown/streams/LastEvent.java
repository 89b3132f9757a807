package dev.graceful.shutdown.streams;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The last event sent on a server-sent event stream before it ends: tells the client why
 * the stream ends and, with a {@code retry:} hint, how soon to reconnect.
 *
 * @param name the event name ({@code event:} field)
 * @param data the event data ({@code data:} field; an event without data is not
 * dispatched by {@code EventSource})
 * @param retry the reconnection time hint ({@code retry:} field), or {@code null} for none
 */
public record LastEvent(String name, String data, @Nullable Duration retry) {

	/**
	 * Return the event as written on the stream.
	 * @return the event, ending with its blank line
	 */
	public String toText() {
		StringBuilder text = new StringBuilder();
		if (!this.name.isEmpty()) {
			text.append("event:").append(this.name).append('\n');
		}
		if (this.retry != null) {
			text.append("retry:").append(this.retry.toMillis()).append('\n');
		}
		for (String line : this.data.split("\n", -1)) {
			text.append("data:").append(line).append('\n');
		}
		return text.append('\n').toString();
	}

	/**
	 * Return the event as written on the stream.
	 * @return the UTF-8 bytes of {@link #toText()}
	 */
	public byte[] toBytes() {
		return toText().getBytes(StandardCharsets.UTF_8);
	}

}
