/**
 * Copies a text through the Clipboard API. Where there is none (plain http is not a secure context) or
 * the browser refuses, it selects the element showing the text so the user copies it by keyboard.
 */
import { useState } from 'preact/hooks';

export function CopyButton(props: { text: string; targetId: string; label: string }) {
  const [outcome, setOutcome] = useState<string | null>(null);
  const selectTarget = () => {
    const target = document.getElementById(props.targetId);
    const selection = window.getSelection();
    if (target && selection) selection.selectAllChildren(target);
  };
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(props.text);
      setOutcome('Copied to the clipboard.');
    } catch {
      selectTarget();
      setOutcome('Selected: press Ctrl+C (⌘C on a Mac) to copy.');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="button button--small" onClick={() => void copy()}>
        {props.label}
      </button>
      <span class="copy__outcome small" role="status">
        {outcome}
      </span>
    </span>
  );
}
