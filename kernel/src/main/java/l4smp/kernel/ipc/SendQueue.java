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
        sender.setSendNext(null);
        sender.setSendPrev(receiver.sendQueueTail());
        if (receiver.sendQueueTail() == null) {
            receiver.setSendQueueHead(sender);
        } else {
            receiver.sendQueueTail().setSendNext(sender);
        }
        receiver.setSendQueueTail(sender);
        sender.setInSendQueue(true);
    }

    /** Puts {@code sender} at the head of {@code receiver}'s queue, unless it is queued already. */
    public static void enqueueHead(Tcb receiver, Tcb sender) {
        if (sender.inSendQueue()) {
            return;
        }
        sender.setSendPrev(null);
        sender.setSendNext(receiver.sendQueueHead());
        if (receiver.sendQueueHead() == null) {
            receiver.setSendQueueTail(sender);
        } else {
            receiver.sendQueueHead().setSendPrev(sender);
        }
        receiver.setSendQueueHead(sender);
        sender.setInSendQueue(true);
    }

    /** Takes {@code sender} out of {@code receiver}'s queue, if it is queued. */
    public static void dequeue(Tcb receiver, Tcb sender) {
        if (!sender.inSendQueue()) {
            return;
        }
        if (sender.sendPrev() == null) {
            receiver.setSendQueueHead(sender.sendNext());
        } else {
            sender.sendPrev().setSendNext(sender.sendNext());
        }
        if (sender.sendNext() == null) {
            receiver.setSendQueueTail(sender.sendPrev());
        } else {
            sender.sendNext().setSendPrev(sender.sendPrev());
        }
        sender.setSendNext(null);
        sender.setSendPrev(null);
        sender.setInSendQueue(false);
    }
}
