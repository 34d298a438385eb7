package desk

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// FollowUp records the email a waiting customer wants to be answered at,
// when nobody can take the conversation now. The conversation stays in the
// queue and is served when someone comes online; the customer sees a
// confirmation in the conversation. With mail enabled, the agents' public
// replies are then emailed to the address until the customer writes in
// the chat again (see MailOptions); without, the confirmation promises no
// email: the address is only there for the team.
func (d *Desk) FollowUp(ctx context.Context, a Actor, id int64, email string) (*model.Conversation, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > model.MaxNameLen || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return nil, model.Invalid("email", "must be an email address such as name@example.com")
	}
	if conv.Status != model.StatusQueued {
		return nil, fmt.Errorf("the conversation is %s, not waiting for a person: %w", conv.Status, store.ErrConflict)
	}
	already, err := d.store.FollowUpEmail(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if already != email {
		if _, err := d.store.SetFollowUpEmail(ctx, a.WorkspaceID, id, email, d.now()); err != nil {
			return nil, err
		}
		_, _, _, err = d.addMessage(ctx, store.NewMessage{
			WorkspaceID: a.WorkspaceID, ConversationID: id, AuthorKind: model.AuthorSystem,
			Body: followUpNotice(conv, d.mail.Enabled, email),
		}, d.now())
		if err != nil {
			return nil, err
		}
		d.changed(a.WorkspaceID)
	}
	return d.Conversation(ctx, a, id)
}

// followUpNotice is the confirmation a customer gets for a follow-up
// address, in the language triage read in their words (else English): it
// promises an email only when Tandem sends one.
func followUpNotice(conv *model.Conversation, mailEnabled bool, email string) string {
	if mailEnabled {
		return fmt.Sprintf(inLanguage(followUpMailNotices, conv), email)
	}
	return fmt.Sprintf(inLanguage(followUpNoMailNotices, conv), email)
}

// followUpMailNotices and followUpNoMailNotices hold the confirmation with
// and without email sending; %s is the address.
var (
	followUpMailNotices = map[string]string{
		"en": "Thanks — we'll answer here as soon as someone is online, and email you at %s.",
		"sv": "Tack! Vi svarar här så snart någon är på plats, och mejlar dig på %s.",
		"de": "Danke! Wir antworten hier, sobald jemand online ist, und schreiben Ihnen an %s.",
		"es": "¡Gracias! Te responderemos aquí en cuanto haya alguien disponible y te escribiremos a %s.",
		"fr": "Merci ! Nous vous répondrons ici dès que quelqu’un sera en ligne, et vous écrirons à %s.",
	}
	followUpNoMailNotices = map[string]string{
		"en": "Thanks — we'll answer here as soon as someone is online. Our team has your email address, %s, if they need to reach you.",
		"sv": "Tack! Vi svarar här så snart någon är på plats. Vårt team har din e-postadress, %s, om de behöver nå dig.",
		"de": "Danke! Wir antworten hier, sobald jemand online ist. Unser Team hat Ihre E-Mail-Adresse, %s, falls es Sie erreichen muss.",
		"es": "¡Gracias! Te responderemos aquí en cuanto haya alguien disponible. Nuestro equipo tiene tu correo, %s, por si necesita contactarte.",
		"fr": "Merci ! Nous vous répondrons ici dès que quelqu’un sera en ligne. Notre équipe a votre adresse e-mail, %s, si elle doit vous joindre.",
	}
)

// followUpMail is the email an agent's public reply owes a customer who
// left a follow-up address, or nil when there is none to send. The store
// decides, in the reply's transaction, whether the customer is still away.
func (d *Desk) followUpMail(ctx context.Context, conv *model.Conversation, agentName, body string) (*store.FollowUpMail, error) {
	if !d.mail.Enabled {
		return nil, nil
	}
	email, err := d.store.FollowUpEmail(ctx, conv.WorkspaceID, conv.ID)
	if err != nil || email == "" {
		return nil, err
	}
	ws, err := d.store.WorkspaceByID(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &store.FollowUpMail{
		Subject: "Re: your conversation with " + ws.Name,
		Intro:   fmt.Sprintf("Hello,\n\nYou asked us to email you when someone from %s answered in the chat.\n\n", ws.Name),
		Part:    agentName + " wrote:\n\n" + body,
		Due:     d.now().Add(d.mail.Delay),
	}, nil
}

// decorateRouting adds what routing knows of a conversation: where it
// stands while queued, and the follow-up email the customer left.
func (d *Desk) decorateRouting(ctx context.Context, conv *model.Conversation) error {
	email, err := d.store.FollowUpEmail(ctx, conv.WorkspaceID, conv.ID)
	if err != nil {
		return err
	}
	conv.FollowUpEmail = email
	conv.FollowUpByEmail = d.mail.Enabled
	if conv.Status == model.StatusQueued {
		if conv.Queue, err = d.dispatch.QueueInfo(ctx, conv); err != nil {
			return err
		}
	}
	return nil
}
