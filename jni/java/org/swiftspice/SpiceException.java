package org.swiftspice;

/** A failure reported by the native client: the message is spc_last_error, the status an spc_status. */
public final class SpiceException extends RuntimeException {
    public static final int NULL_HANDLE = -1;
    public static final int INVALID_ARGUMENT = -2;
    public static final int STATE = -3;
    public static final int CONNECT = -4;
    public static final int QUEUE_FULL = -5;
    public static final int ENDED = -6;
    public static final int NO_FRAME = -7;
    public static final int UNKNOWN_KEY = -8;
    public static final int UNSUPPORTED = -9;
    public static final int NO_AUDIO = -10;

    private static final long serialVersionUID = 1L;
    private final int status;

    /** Called by the JNI glue (its constructor id is cached in JNI_OnLoad). */
    public SpiceException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The spc_status (one of the constants above). */
    public int status() { return status; }
}
