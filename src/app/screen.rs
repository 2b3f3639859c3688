//! What every view is to the router (`Screen`), and what a view may touch
//! while it handles a key or a result (`Ctx`).

use super::action::Action;
use super::effect::{Effect, RequestId, RequestIds};
use super::keys::Binding;
use super::msg::Msg;
use super::notice::Notice;
use super::prompt::{Prompt, PromptKind};
use super::settings::{KubeScope, Settings};
use super::target::Known;
use super::target::Target;
use triage_core::backend::BackendError;
use triage_core::domain::{Nanos, PodKey, SafeText};

/// What every view does; the router calls these on the view on screen
/// (keys, the prompt) or on the one that waits for a result.
pub trait Screen {
    /// Its own keys; a global key on the same key gives way to them.
    fn keys(&self) -> &'static [Binding];
    /// What the status bar offers, in order (labels come from the keys).
    fn hints(&self) -> &'static [Action];
    /// A key meant for this view.
    fn act(&mut self, action: Action, cx: &mut Ctx);
    /// An answer to one of `requests()`.
    fn receive(&mut self, msg: Msg, cx: &mut Ctx);
    /// The request it waits for before it can show anything new.
    fn pending(&self) -> Option<RequestId>;
    /// Every request it started that may still run (watches and streams
    /// too); they are cancelled when the view goes.
    fn requests(&self) -> Vec<RequestId> {
        self.pending().into_iter().collect()
    }
    /// What `r` opens in its place: the same place, asked again up to now.
    /// None: the view reloads itself on `Action::Reload`.
    fn target(&self) -> Option<Target>;
    /// The prompt this view opened was edited, submitted or cancelled.
    fn prompt(&mut self, _event: PromptEvent, _cx: &mut Ctx) {}
    /// After a key or a resize: keep the cursor on screen.
    fn fit(&mut self, _width: u16, _height: u16) {}
    /// `:ns` or `:ctx` changed what pods are listed; false: not its concern.
    fn follow_scope(&mut self, _cx: &mut Ctx) -> bool {
        false
    }
    /// The error it shows instead of data, if any (`--print` exits 1).
    fn failure(&self) -> Option<&BackendError> {
        None
    }
    /// It shows time passing (ages), so a clock tick redraws it.
    fn shows_time(&self) -> bool {
        false
    }
    /// What `y` copies: the selection's value, and what it is.
    fn copied(&self) -> Option<Copied> {
        None
    }
}

/// A value to copy, and what it is (said on the message line).
pub struct Copied {
    pub what: &'static str,
    pub text: String,
}

impl Copied {
    pub fn new(what: &'static str, text: impl ToString) -> Option<Copied> {
        Some(Copied {
            what,
            text: text.to_string(),
        })
    }
}

/// What happened to a view's prompt.
pub enum PromptEvent {
    Edited(String),
    Submitted(String),
    Cancelled,
}

/// What a view may touch besides itself: the settings, the clock, request
/// ids, effects, the message line, the prompt, and where to go next.
pub struct Ctx<'a> {
    pub settings: &'a Settings,
    pub now: Nanos,
    pub width: u16,
    pub height: u16,
    pub kube: &'a KubeScope,
    /// This view is the one on screen.
    pub on_top: bool,
    pub(super) ids: &'a mut RequestIds,
    pub(super) effects: &'a mut Vec<Effect>,
    pub(super) notice: &'a mut Option<Notice>,
    pub(super) prompt: &'a mut Option<Prompt>,
    pub(super) go: &'a mut Option<Go>,
}

/// Where a view asked to go once it is done with a message.
pub struct Go {
    pub target: Target,
    /// In its place (the same view asked differently), not on top.
    pub instead: bool,
}

impl Ctx<'_> {
    /// A new request: its id, and the effect that asks it.
    pub fn ask(&mut self, effect: impl FnOnce(RequestId) -> Effect) -> RequestId {
        let id = self.ids.take();
        self.effects.push(effect(id));
        id
    }

    pub fn cancel(&mut self, ids: impl IntoIterator<Item = RequestId>) {
        self.effects.extend(ids.into_iter().map(Effect::Cancel));
    }

    pub fn tell(&mut self, notice: Notice) {
        *self.notice = Some(notice);
    }

    /// Goes there, on top of this view, once it is done with this message.
    pub fn go(&mut self, target: Target) {
        *self.go = Some(Go {
            target,
            instead: false,
        });
    }

    /// Opens `target` in this view's place.
    pub fn go_instead(&mut self, target: Target) {
        *self.go = Some(Go {
            target,
            instead: true,
        });
    }

    /// `p`: the pod a span or a line names, in the current context; names
    /// that are not Kubernetes names (they go into API paths) are refused.
    pub fn go_to_pod(&mut self, namespace: &SafeText, name: &SafeText, known: Known) {
        match PodKey::parse(namespace, name) {
            Some(key) => self.go(Target::Pod {
                context: self.kube.context.clone(),
                key,
                known,
            }),
            None => self.tell(Notice::NotAPod {
                namespace: namespace.clone(),
                name: name.clone(),
            }),
        }
    }

    pub fn open_prompt(&mut self, kind: PromptKind, text: &str) {
        *self.prompt = Some(Prompt::new(kind, text));
    }

    pub fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }
}
