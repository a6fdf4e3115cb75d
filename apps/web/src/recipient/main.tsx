import { render } from 'preact';
import { RecipientApp } from './app';

render(<RecipientApp />, document.getElementById('root')!);
