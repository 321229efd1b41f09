package l4smp.kernel.ipc;

import l4smp.kernel.thread.Tcb;

/**
 * A thread's send queue (thesis 8.3.2): the threads polling to send to it, an intrusive FIFO
 * through the senders' {@code sendNext/sendPrev} links. Owner CPU of the receiver only;
 * allocation-free.
 */
public final class SendQueue {

    private SendQueue() {
    }

    /** Appends {@code sender} to {@code receiver}'s queue. */
    public static void enqueue(Tcb receiver, Tcb sender) {
        sender.sendNext = null;
        sender.sendPrev = receiver.sendQueueTail;
        if (receiver.sendQueueTail == null) {
            receiver.sendQueueHead = sender;
        } else {
            receiver.sendQueueTail.sendNext = sender;
        }
        receiver.sendQueueTail = sender;
        sender.inSendQueue = true;
    }

    /** Puts {@code sender} at the head of {@code receiver}'s queue, unless it is queued already. */
    public static void enqueueHead(Tcb receiver, Tcb sender) {
        if (sender.inSendQueue) {
            return;
        }
        sender.sendPrev = null;
        sender.sendNext = receiver.sendQueueHead;
        if (receiver.sendQueueHead == null) {
            receiver.sendQueueTail = sender;
        } else {
            receiver.sendQueueHead.sendPrev = sender;
        }
        receiver.sendQueueHead = sender;
        sender.inSendQueue = true;
    }

    /** Takes {@code sender} out of {@code receiver}'s queue, if it is queued. */
    public static void dequeue(Tcb receiver, Tcb sender) {
        if (!sender.inSendQueue) {
            return;
        }
        if (sender.sendPrev == null) {
            receiver.sendQueueHead = sender.sendNext;
        } else {
            sender.sendPrev.sendNext = sender.sendNext;
        }
        if (sender.sendNext == null) {
            receiver.sendQueueTail = sender.sendPrev;
        } else {
            sender.sendNext.sendPrev = sender.sendPrev;
        }
        sender.sendNext = null;
        sender.sendPrev = null;
        sender.inSendQueue = false;
    }
}
